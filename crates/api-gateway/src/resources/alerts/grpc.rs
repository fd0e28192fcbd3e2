//! gRPC: `hsi.v1.api.AlertService`.

use super::*;
use crate::grpc::caller;
use crate::pb::alert_service_server::{AlertService, AlertServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, AlertServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl AlertService for Api {
    async fn list_alerts(&self, request: Request<ListAlertsRequest>) -> Result<Response<ListAlertsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list(&self.0, &caller, request.into_inner()).await?))
    }

    async fn get_alert(&self, request: Request<GetAlertRequest>) -> Result<Response<Alert>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(get(&self.0, &caller, request.into_inner()).await?))
    }

    async fn acknowledge_alert(&self, request: Request<AcknowledgeAlertRequest>) -> Result<Response<Alert>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(acknowledge(&self.0, &caller, request.into_inner()).await?))
    }

    async fn dismiss_alert(&self, request: Request<DismissAlertRequest>) -> Result<Response<Alert>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(dismiss(&self.0, &caller, request.into_inner()).await?))
    }

    async fn list_alert_deliveries(&self, request: Request<ListAlertDeliveriesRequest>) -> Result<Response<ListAlertDeliveriesResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(deliveries(&self.0, &caller, request.into_inner()).await?))
    }
}
