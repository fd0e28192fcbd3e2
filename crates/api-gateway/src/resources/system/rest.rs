//! REST: `/api/v1/system/...`.

use super::*;
use crate::error::ErrorBody;
use crate::pb::{
    GetDeadLetterRequest, GetPipelineLatencyRequest, GetQueueStatsRequest, GetQueueStatsResponse,
    GetSystemHealthRequest, ListDeadLettersRequest, ListDeadLettersResponse, ListGpuStatsRequest,
    ListGpuStatsResponse, ListRefusedFilesRequest, ListRefusedFilesResponse, PipelineLatency,
    QueueDeadLetter, RequeueDeadLettersRequest, RequeueDeadLettersResponse, SystemHealth,
};
use crate::rest::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    mark_started();
    OpenApiRouter::new()
        .routes(routes!(get_system_health))
        .routes(routes!(get_queue_stats))
        .routes(routes!(list_dead_letters_of))
        .routes(routes!(get_dead_letter_of))
        .routes(routes!(requeue_dead_letters_of))
        .routes(routes!(list_refused_files))
        .routes(routes!(list_gpu_stats))
        .routes(routes!(get_pipeline_latency))
        .routes(routes!(get_version))
}

#[utoipa::path(get, path = "/system/health", operation_id = "GetSystemHealth", tag = "system",
    responses((status = 200, body = SystemHealth), (status = "default", body = ErrorBody)))]
async fn get_system_health(
    State(app): State<App>,
    caller: Caller,
) -> ApiResult<Json<SystemHealth>> {
    health(&app, &caller, GetSystemHealthRequest {})
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/system/queues", operation_id = "GetQueueStats", tag = "system",
    responses((status = 200, body = GetQueueStatsResponse), (status = "default", body = ErrorBody)))]
async fn get_queue_stats(
    State(app): State<App>,
    caller: Caller,
) -> ApiResult<Json<GetQueueStatsResponse>> {
    queue_stats(&app, &caller, GetQueueStatsRequest {})
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/system/queues/{stream}/dead-letters", operation_id = "ListDeadLetters",
    tag = "system",
    params(("stream" = String, Path, description = "files, detections or batches"),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListDeadLettersResponse), (status = "default", body = ErrorBody)))]
async fn list_dead_letters_of(
    State(app): State<App>,
    caller: Caller,
    ApiPath(stream): ApiPath<String>,
    ApiQuery(req): ApiQuery<ListDeadLettersRequest>,
) -> ApiResult<Json<ListDeadLettersResponse>> {
    list_dead_letters(&app, &caller, ListDeadLettersRequest { stream, ..req })
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/system/queues/{stream}/dead-letters/{id}", operation_id = "GetDeadLetter",
    tag = "system", params(("stream" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = QueueDeadLetter), (status = "default", body = ErrorBody)))]
async fn get_dead_letter_of(
    State(app): State<App>,
    caller: Caller,
    ApiPath((stream, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<QueueDeadLetter>> {
    get_dead_letter(&app, &caller, GetDeadLetterRequest { stream, id })
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/system/queues/{stream}/dead-letters/requeue",
    operation_id = "RequeueDeadLetters", tag = "system", params(("stream" = String, Path)),
    request_body = RequeueDeadLettersRequest,
    responses((status = 200, body = RequeueDeadLettersResponse), (status = "default", body = ErrorBody)))]
async fn requeue_dead_letters_of(
    State(app): State<App>,
    caller: Caller,
    ApiPath(stream): ApiPath<String>,
    ApiJson(req): ApiJson<RequeueDeadLettersRequest>,
) -> ApiResult<Json<RequeueDeadLettersResponse>> {
    requeue_dead_letters(&app, &caller, RequeueDeadLettersRequest { stream, ..req })
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/system/refused-files", operation_id = "ListRefusedFiles", tag = "system",
    params(ListRefusedFilesRequest),
    responses((status = 200, body = ListRefusedFilesResponse), (status = "default", body = ErrorBody)))]
async fn list_refused_files(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListRefusedFilesRequest>,
) -> ApiResult<Json<ListRefusedFilesResponse>> {
    refused_files(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/system/gpu-stats", operation_id = "ListGpuStats", tag = "system",
    params(ListGpuStatsRequest),
    responses((status = 200, body = ListGpuStatsResponse), (status = "default", body = ErrorBody)))]
async fn list_gpu_stats(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListGpuStatsRequest>,
) -> ApiResult<Json<ListGpuStatsResponse>> {
    gpu_stats(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/system/latency", operation_id = "GetPipelineLatency", tag = "system",
    params(("since" = Option<String>, Query, description = "RFC 3339; default an hour ago"),
        ("until" = Option<String>, Query, description = "RFC 3339; default now")),
    responses((status = 200, body = PipelineLatency), (status = "default", body = ErrorBody)))]
async fn get_pipeline_latency(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<GetPipelineLatencyRequest>,
) -> ApiResult<Json<PipelineLatency>> {
    latency(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/system/version", operation_id = "GetVersion", tag = "system",
    responses((status = 200, body = SystemVersion), (status = "default", body = ErrorBody)))]
async fn get_version(State(app): State<App>, caller: Caller) -> ApiResult<Json<SystemVersion>> {
    version(&app, &caller, GetSystemVersionRequest {})
        .await
        .map(Json)
}
