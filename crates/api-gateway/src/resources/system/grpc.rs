//! gRPC: `hsi.v1.api.SystemService`.

use super::*;
use crate::grpc::caller;
use crate::pb::system_service_server::{SystemService, SystemServiceServer};
use crate::pb::{
    GetDeadLetterRequest, GetPipelineLatencyRequest, GetQueueStatsRequest, GetQueueStatsResponse,
    GetSystemHealthRequest, ListDeadLettersRequest, ListDeadLettersResponse, ListGpuStatsRequest,
    ListGpuStatsResponse, ListRefusedFilesRequest, ListRefusedFilesResponse, PipelineLatency,
    QueueDeadLetter, RequeueDeadLettersRequest, RequeueDeadLettersResponse, SystemHealth,
};
use tonic::{Request, Response, Status};

pub async fn register(
    app: &App,
    routes: &mut tonic::service::RoutesBuilder,
    health: &tonic_health::server::HealthReporter,
) {
    mark_started();
    crate::grpc::add(routes, health, SystemServiceServer::new(Api(app.clone()))).await;
}

#[derive(Debug, Clone)]
pub struct Api(App);

#[tonic::async_trait]
impl SystemService for Api {
    async fn get_system_health(
        &self,
        request: Request<GetSystemHealthRequest>,
    ) -> Result<Response<SystemHealth>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            health(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_queue_stats(
        &self,
        request: Request<GetQueueStatsRequest>,
    ) -> Result<Response<GetQueueStatsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            queue_stats(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_dead_letters(
        &self,
        request: Request<ListDeadLettersRequest>,
    ) -> Result<Response<ListDeadLettersResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            list_dead_letters(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_dead_letter(
        &self,
        request: Request<GetDeadLetterRequest>,
    ) -> Result<Response<QueueDeadLetter>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            get_dead_letter(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn requeue_dead_letters(
        &self,
        request: Request<RequeueDeadLettersRequest>,
    ) -> Result<Response<RequeueDeadLettersResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            requeue_dead_letters(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_refused_files(
        &self,
        request: Request<ListRefusedFilesRequest>,
    ) -> Result<Response<ListRefusedFilesResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            refused_files(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_gpu_stats(
        &self,
        request: Request<ListGpuStatsRequest>,
    ) -> Result<Response<ListGpuStatsResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            gpu_stats(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_pipeline_latency(
        &self,
        request: Request<GetPipelineLatencyRequest>,
    ) -> Result<Response<PipelineLatency>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            latency(&self.0, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_version(
        &self,
        request: Request<GetSystemVersionRequest>,
    ) -> Result<Response<SystemVersion>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(
            version(&self.0, &caller, request.into_inner()).await?,
        ))
    }
}
