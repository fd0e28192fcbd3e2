//! REST: `/api/v1/cameras`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_cameras))
        .routes(routes!(get_camera, update_camera, delete_camera))
        .routes(routes!(restore_camera))
        .routes(routes!(get_camera_latest_image))
}

#[utoipa::path(get, path = "/cameras", operation_id = "ListCameras", tag = "cameras",
    params(ListCamerasRequest),
    responses((status = 200, body = ListCamerasResponse), (status = "default", body = ErrorBody)))]
async fn list_cameras(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListCamerasRequest>,
) -> ApiResult<Json<ListCamerasResponse>> {
    list(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/cameras/{id}", operation_id = "GetCamera", tag = "cameras",
    params(("id" = String, Path)),
    responses((status = 200, body = Camera), (status = "default", body = ErrorBody)))]
async fn get_camera(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Camera>> {
    get(&app, &caller, GetCameraRequest { id }).await.map(Json)
}

#[utoipa::path(patch, path = "/cameras/{id}", operation_id = "UpdateCamera", tag = "cameras",
    params(("id" = String, Path)), request_body = UpdateCameraRequest,
    responses((status = 200, body = Camera), (status = "default", body = ErrorBody)))]
async fn update_camera(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateCameraRequest>,
) -> ApiResult<Json<Camera>> {
    update(&app, &caller, UpdateCameraRequest { id, ..req }).await.map(Json)
}

#[utoipa::path(delete, path = "/cameras/{id}", operation_id = "DeleteCamera", tag = "cameras",
    params(("id" = String, Path)),
    responses((status = 200, body = Camera), (status = "default", body = ErrorBody)))]
async fn delete_camera(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Camera>> {
    delete(&app, &caller, DeleteCameraRequest { id }).await.map(Json)
}

#[utoipa::path(post, path = "/cameras/{id}/restore", operation_id = "RestoreCamera", tag = "cameras",
    params(("id" = String, Path)),
    responses((status = 200, body = Camera), (status = "default", body = ErrorBody)))]
async fn restore_camera(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Camera>> {
    restore(&app, &caller, RestoreCameraRequest { id }).await.map(Json)
}

#[utoipa::path(get, path = "/cameras/{id}/latest-image", operation_id = "GetCameraLatestImage",
    tag = "cameras", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>),
        (status = 304, description = "the client's copy is current"),
        (status = "default", body = ErrorBody)))]
async fn get_camera_latest_image(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let image = latest_image(&app, &caller, GetCameraLatestImageRequest { id }).await?;
    Ok(crate::media::image_response(
        image,
        &headers,
        app.settings.media.cache_max_age_secs,
    ))
}
