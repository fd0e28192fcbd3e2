//! REST: `/api/v1/prompts/{model}/...` and `/api/v1/events/{id}/reanalyze`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_active_prompt, update_prompt))
        .routes(routes!(list_prompt_versions))
        .routes(routes!(diff_prompt_versions))
        .routes(routes!(rollback_prompt))
        .routes(routes!(reanalyze_event))
}

#[utoipa::path(get, path = "/prompts/{model}", operation_id = "GetActivePrompt", tag = "prompts",
    params(("model" = String, Path, description = "nemotron, florence2, yolo_world, xclip or fashion_clip")),
    responses((status = 200, body = PromptConfig), (status = "default", body = ErrorBody)))]
async fn get_active_prompt(
    State(app): State<App>,
    caller: Caller,
    ApiPath(model): ApiPath<String>,
) -> ApiResult<Json<PromptConfig>> {
    get_active(&app, &caller, GetActivePromptRequest { model }).await.map(Json)
}

#[utoipa::path(put, path = "/prompts/{model}", operation_id = "UpdatePrompt", tag = "prompts",
    params(("model" = String, Path)), request_body = UpdatePromptRequest,
    responses((status = 200, body = PromptConfig), (status = "default", body = ErrorBody)))]
async fn update_prompt(
    State(app): State<App>,
    caller: Caller,
    ApiPath(model): ApiPath<String>,
    ApiJson(req): ApiJson<UpdatePromptRequest>,
) -> ApiResult<Json<PromptConfig>> {
    update(&app, &caller, UpdatePromptRequest { model, ..req }).await.map(Json)
}

#[utoipa::path(get, path = "/prompts/{model}/versions", operation_id = "ListPromptVersions", tag = "prompts",
    params(("model" = String, Path), ("limit" = Option<u32>, Query, description = "50 when absent, at most 500"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the page before")),
    responses((status = 200, body = ListPromptVersionsResponse), (status = "default", body = ErrorBody)))]
async fn list_prompt_versions(
    State(app): State<App>,
    caller: Caller,
    ApiPath(model): ApiPath<String>,
    ApiQuery(req): ApiQuery<ListPromptVersionsRequest>,
) -> ApiResult<Json<ListPromptVersionsResponse>> {
    list_versions(&app, &caller, ListPromptVersionsRequest { model, ..req }).await.map(Json)
}

#[utoipa::path(get, path = "/prompts/{model}/diff", operation_id = "DiffPromptVersions", tag = "prompts",
    params(("model" = String, Path), ("from_version" = i32, Query), ("to_version" = i32, Query)),
    responses((status = 200, body = PromptDiff), (status = "default", body = ErrorBody)))]
async fn diff_prompt_versions(
    State(app): State<App>,
    caller: Caller,
    ApiPath(model): ApiPath<String>,
    ApiQuery(req): ApiQuery<DiffPromptVersionsRequest>,
) -> ApiResult<Json<PromptDiff>> {
    diff(&app, &caller, DiffPromptVersionsRequest { model, ..req }).await.map(Json)
}

#[utoipa::path(post, path = "/prompts/{model}/rollback", operation_id = "RollbackPrompt", tag = "prompts",
    params(("model" = String, Path)), request_body = RollbackPromptRequest,
    responses((status = 200, body = PromptConfig), (status = "default", body = ErrorBody)))]
async fn rollback_prompt(
    State(app): State<App>,
    caller: Caller,
    ApiPath(model): ApiPath<String>,
    ApiJson(req): ApiJson<RollbackPromptRequest>,
) -> ApiResult<Json<PromptConfig>> {
    rollback(&app, &caller, RollbackPromptRequest { model, ..req }).await.map(Json)
}

#[utoipa::path(post, path = "/events/{id}/reanalyze", operation_id = "ReanalyzeEvent", tag = "prompts",
    params(("id" = i64, Path)),
    responses((status = 200, body = EventJudgement), (status = "default", body = ErrorBody)))]
async fn reanalyze_event(
    State(app): State<App>,
    caller: Caller,
    ApiPath(event_id): ApiPath<i64>,
) -> ApiResult<Json<EventJudgement>> {
    reanalyze(&app, &caller, ReanalyzeEventRequest { event_id }).await.map(Json)
}
