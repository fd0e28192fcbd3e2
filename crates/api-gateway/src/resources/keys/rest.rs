//! REST: `/api/v1/api-keys`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(who_am_i_route))
}

#[utoipa::path(get, path = "/api-keys", operation_id = "ListApiKeys", tag = "api-keys",
    params(ListApiKeysRequest),
    responses((status = 200, body = ListApiKeysResponse), (status = "default", body = ErrorBody)))]
async fn list_api_keys(State(app): State<App>, caller: Caller, ApiQuery(req): ApiQuery<ListApiKeysRequest>) -> ApiResult<Json<ListApiKeysResponse>> {
    list(&app, &caller, req).await.map(Json)
}

#[utoipa::path(post, path = "/api-keys", operation_id = "CreateApiKey", tag = "api-keys",
    request_body = CreateApiKeyRequest,
    responses((status = 200, body = CreatedApiKey), (status = "default", body = ErrorBody)))]
async fn create_api_key(State(app): State<App>, caller: Caller, ApiJson(req): ApiJson<CreateApiKeyRequest>) -> ApiResult<Json<CreatedApiKey>> {
    create(&app, &caller, req).await.map(Json)
}

#[utoipa::path(delete, path = "/api-keys/{id}", operation_id = "RevokeApiKey", tag = "api-keys",
    params(("id" = i32, Path)),
    responses((status = 200, body = ApiKey), (status = "default", body = ErrorBody)))]
async fn revoke_api_key(State(app): State<App>, caller: Caller, ApiPath(id): ApiPath<i32>) -> ApiResult<Json<ApiKey>> {
    revoke(&app, &caller, RevokeApiKeyRequest { id }).await.map(Json)
}

#[utoipa::path(get, path = "/whoami", operation_id = "WhoAmI", tag = "api-keys",
    responses((status = 200, body = ApiKey), (status = "default", body = ErrorBody)))]
async fn who_am_i_route(State(app): State<App>, caller: Caller) -> ApiResult<Json<ApiKey>> {
    who_am_i(&app, &caller, WhoAmIRequest {}).await.map(Json)
}
