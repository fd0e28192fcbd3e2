//! REST: `/api/v1/detections` and `POST /api/v1/detect`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiPath, ApiQuery};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_detections))
        .routes(routes!(get_detection))
        .routes(routes!(get_detection_image))
        .routes(routes!(get_detection_thumbnail))
        .routes(routes!(detect_now_upload))
}

#[utoipa::path(get, path = "/detections", operation_id = "ListDetections", tag = "detections",
    params(ListDetectionsRequest),
    responses((status = 200, body = ListDetectionsResponse), (status = "default", body = ErrorBody)))]
async fn list_detections(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListDetectionsRequest>,
) -> ApiResult<Json<ListDetectionsResponse>> {
    list(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/detections/{id}", operation_id = "GetDetection", tag = "detections",
    params(("id" = i64, Path)),
    responses((status = 200, body = Detection), (status = "default", body = ErrorBody)))]
async fn get_detection(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Detection>> {
    get(&app, &caller, GetDetectionRequest { id }).await.map(Json)
}

#[utoipa::path(get, path = "/detections/{id}/image", operation_id = "GetDetectionImage",
    tag = "detections", params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>),
        (status = 304, description = "the client's copy is current"),
        (status = "default", body = ErrorBody)))]
async fn get_detection_image(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let image = image(&app, &caller, GetDetectionImageRequest { id }).await?;
    Ok(crate::media::image_response(image, &headers, app.settings.media.cache_max_age_secs))
}

#[utoipa::path(get, path = "/detections/{id}/thumbnail", operation_id = "GetDetectionThumbnail",
    tag = "detections", params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>),
        (status = 304, description = "the client's copy is current"),
        (status = "default", body = ErrorBody)))]
async fn get_detection_thumbnail(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let image = thumbnail(&app, &caller, GetDetectionThumbnailRequest { id }).await?;
    Ok(crate::media::image_response(image, &headers, app.settings.media.cache_max_age_secs))
}

/// The query string of `POST /detect`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DetectNowQuery {
    /// Keep only objects at least this confident (0..1).
    min_confidence: Option<f32>,
}

#[utoipa::path(post, path = "/detect", operation_id = "DetectNow", tag = "detections",
    description = "Runs the detector on the uploaded image (the body: JPEG or PNG bytes); nothing is stored.",
    params(DetectNowQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = DetectNowResponse), (status = "default", body = ErrorBody)))]
async fn detect_now_upload(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<DetectNowQuery>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<DetectNowResponse>> {
    let body = body.map_err(|err| {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(Code::PayloadTooLarge, "the image is too large")
        } else {
            ApiError::invalid("body", err.body_text())
        }
    })?;
    check_upload_type(headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()))?;
    let req = DetectNowRequest {
        image: body.to_vec(),
        min_confidence: query.min_confidence,
    };
    detect_now(&app, &caller, req).await.map(Json)
}
