//! gRPC: `hsi.v1.api.PromptService`.

use super::*;
use crate::grpc::caller;
use crate::pb::prompt_service_server::{PromptService, PromptServiceServer};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    crate::grpc::add(routes, health, PromptServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl PromptService for Api {
    async fn get_active_prompt(&self, request: Request<GetActivePromptRequest>) -> Result<Response<PromptConfig>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(get_active(&self.0, &caller, request.into_inner()).await?))
    }

    async fn update_prompt(&self, request: Request<UpdatePromptRequest>) -> Result<Response<PromptConfig>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(update(&self.0, &caller, request.into_inner()).await?))
    }

    async fn list_prompt_versions(&self, request: Request<ListPromptVersionsRequest>) -> Result<Response<ListPromptVersionsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(list_versions(&self.0, &caller, request.into_inner()).await?))
    }

    async fn diff_prompt_versions(&self, request: Request<DiffPromptVersionsRequest>) -> Result<Response<PromptDiff>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(diff(&self.0, &caller, request.into_inner()).await?))
    }

    async fn rollback_prompt(&self, request: Request<RollbackPromptRequest>) -> Result<Response<PromptConfig>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(rollback(&self.0, &caller, request.into_inner()).await?))
    }

    async fn reanalyze_event(&self, request: Request<ReanalyzeEventRequest>) -> Result<Response<EventJudgement>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(reanalyze(&self.0, &caller, request.into_inner()).await?))
    }
}
