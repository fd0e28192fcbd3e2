//! gRPC: `hsi.v1.api.LogService`.

use super::*;
use crate::grpc::caller;
use crate::pb::log_service_server::{LogService, LogServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, LogServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl LogService for Api {
    async fn list_logs(
        &self,
        request: Request<ListLogsRequest>,
    ) -> Result<Response<ListLogsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            list(&self.0, &caller, request.into_inner()).await?,
        ))
    }
}
