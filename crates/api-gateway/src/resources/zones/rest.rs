//! REST: `/api/v1/zones`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_zones, create_zone))
        .routes(routes!(get_zone, update_zone, delete_zone))
}

#[utoipa::path(get, path = "/zones", operation_id = "ListZones", tag = "zones",
    params(ListZonesRequest),
    responses((status = 200, body = ListZonesResponse), (status = "default", body = ErrorBody)))]
async fn list_zones(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListZonesRequest>,
) -> ApiResult<Json<ListZonesResponse>> {
    list(&app, &caller, req).await.map(Json)
}

#[utoipa::path(post, path = "/zones", operation_id = "CreateZone", tag = "zones",
    request_body = CreateZoneRequest,
    responses((status = 201, body = Zone), (status = "default", body = ErrorBody)))]
async fn create_zone(
    State(app): State<App>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateZoneRequest>,
) -> ApiResult<(StatusCode, Json<Zone>)> {
    create(&app, &caller, req)
        .await
        .map(|zone| (StatusCode::CREATED, Json(zone)))
}

#[utoipa::path(get, path = "/zones/{id}", operation_id = "GetZone", tag = "zones",
    params(("id" = String, Path)),
    responses((status = 200, body = Zone), (status = "default", body = ErrorBody)))]
async fn get_zone(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Zone>> {
    get(&app, &caller, GetZoneRequest { id }).await.map(Json)
}

#[utoipa::path(patch, path = "/zones/{id}", operation_id = "UpdateZone", tag = "zones",
    params(("id" = String, Path)), request_body = UpdateZoneRequest,
    responses((status = 200, body = Zone), (status = "default", body = ErrorBody)))]
async fn update_zone(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateZoneRequest>,
) -> ApiResult<Json<Zone>> {
    update(&app, &caller, UpdateZoneRequest { id, ..req })
        .await
        .map(Json)
}

#[utoipa::path(delete, path = "/zones/{id}", operation_id = "DeleteZone", tag = "zones",
    params(("id" = String, Path)),
    responses((status = 200, body = Zone), (status = "default", body = ErrorBody)))]
async fn delete_zone(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Zone>> {
    delete(&app, &caller, DeleteZoneRequest { id })
        .await
        .map(Json)
}
