//! gRPC: `hsi.v1.api.ZoneService`.

use super::*;
use crate::grpc::caller;
use crate::pb::zone_service_server::{ZoneService, ZoneServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, ZoneServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl ZoneService for Api {
    async fn list_zones(
        &self,
        request: Request<ListZonesRequest>,
    ) -> Result<Response<ListZonesResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            list(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_zone(&self, request: Request<GetZoneRequest>) -> Result<Response<Zone>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            get(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn create_zone(
        &self,
        request: Request<CreateZoneRequest>,
    ) -> Result<Response<Zone>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            create(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn update_zone(
        &self,
        request: Request<UpdateZoneRequest>,
    ) -> Result<Response<Zone>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            update(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn delete_zone(
        &self,
        request: Request<DeleteZoneRequest>,
    ) -> Result<Response<Zone>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            delete(&self.0, &caller, request.into_inner()).await?,
        ))
    }
}
