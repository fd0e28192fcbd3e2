//! gRPC: `hsi.v1.api.AuditService`.

use super::*;
use crate::grpc::caller;
use crate::pb::audit_service_server::{AuditService, AuditServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, AuditServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl AuditService for Api {
    async fn list_audit_logs(&self, request: Request<ListAuditLogsRequest>) -> Result<Response<ListAuditLogsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list(&self.0, &caller, request.into_inner()).await?))
    }

    async fn verify_audit_chain(&self, request: Request<VerifyAuditChainRequest>) -> Result<Response<AuditChainReport>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(verify(&self.0, &caller, request.into_inner()).await?))
    }
}
