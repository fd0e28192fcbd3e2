//! REST: `/api/v1/notifications/...`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiJson, ApiPath};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_notification_preferences, update_notification_preferences))
        .routes(routes!(list_camera_notification_settings))
        .routes(routes!(update_camera_notification_setting, delete_camera_notification_setting))
        .routes(routes!(list_quiet_hours, create_quiet_hours_period))
        .routes(routes!(update_quiet_hours_period, delete_quiet_hours_period))
}

#[utoipa::path(get, path = "/notifications/preferences", operation_id = "GetNotificationPreferences",
    tag = "notifications",
    responses((status = 200, body = NotificationPreferences), (status = "default", body = ErrorBody)))]
async fn get_notification_preferences(
    State(app): State<App>,
    caller: Caller,
) -> ApiResult<Json<NotificationPreferences>> {
    get_preferences(&app, &caller, GetNotificationPreferencesRequest {}).await.map(Json)
}

#[utoipa::path(put, path = "/notifications/preferences", operation_id = "UpdateNotificationPreferences",
    tag = "notifications", request_body = UpdateNotificationPreferencesRequest,
    responses((status = 200, body = NotificationPreferences), (status = "default", body = ErrorBody)))]
async fn update_notification_preferences(
    State(app): State<App>,
    caller: Caller,
    ApiJson(req): ApiJson<UpdateNotificationPreferencesRequest>,
) -> ApiResult<Json<NotificationPreferences>> {
    update_preferences(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/notifications/cameras", operation_id = "ListCameraNotificationSettings",
    tag = "notifications",
    responses((status = 200, body = ListCameraNotificationSettingsResponse), (status = "default", body = ErrorBody)))]
async fn list_camera_notification_settings(
    State(app): State<App>,
    caller: Caller,
) -> ApiResult<Json<ListCameraNotificationSettingsResponse>> {
    list_camera_settings(&app, &caller, ListCameraNotificationSettingsRequest {}).await.map(Json)
}

#[utoipa::path(put, path = "/notifications/cameras/{camera_id}", operation_id = "UpdateCameraNotificationSetting",
    tag = "notifications", params(("camera_id" = String, Path)),
    request_body = UpdateCameraNotificationSettingRequest,
    responses((status = 200, body = CameraNotificationSetting), (status = "default", body = ErrorBody)))]
async fn update_camera_notification_setting(
    State(app): State<App>,
    caller: Caller,
    ApiPath(camera_id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateCameraNotificationSettingRequest>,
) -> ApiResult<Json<CameraNotificationSetting>> {
    update_camera_setting(&app, &caller, UpdateCameraNotificationSettingRequest { camera_id, ..req })
        .await
        .map(Json)
}

#[utoipa::path(delete, path = "/notifications/cameras/{camera_id}", operation_id = "DeleteCameraNotificationSetting",
    tag = "notifications", params(("camera_id" = String, Path)),
    responses((status = 200, body = DeleteCameraNotificationSettingResponse), (status = "default", body = ErrorBody)))]
async fn delete_camera_notification_setting(
    State(app): State<App>,
    caller: Caller,
    ApiPath(camera_id): ApiPath<String>,
) -> ApiResult<Json<DeleteCameraNotificationSettingResponse>> {
    delete_camera_setting(&app, &caller, DeleteCameraNotificationSettingRequest { camera_id })
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/notifications/quiet-hours", operation_id = "ListQuietHours",
    tag = "notifications",
    responses((status = 200, body = ListQuietHoursResponse), (status = "default", body = ErrorBody)))]
async fn list_quiet_hours(
    State(app): State<App>,
    caller: Caller,
) -> ApiResult<Json<ListQuietHoursResponse>> {
    super::list_quiet_hours(&app, &caller, ListQuietHoursRequest {}).await.map(Json)
}

#[utoipa::path(post, path = "/notifications/quiet-hours", operation_id = "CreateQuietHours",
    tag = "notifications", request_body = CreateQuietHoursRequest,
    responses((status = 200, body = QuietHoursPeriod), (status = "default", body = ErrorBody)))]
async fn create_quiet_hours_period(
    State(app): State<App>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateQuietHoursRequest>,
) -> ApiResult<Json<QuietHoursPeriod>> {
    create_quiet_hours(&app, &caller, req).await.map(Json)
}

#[utoipa::path(patch, path = "/notifications/quiet-hours/{id}", operation_id = "UpdateQuietHours",
    tag = "notifications", params(("id" = String, Path)), request_body = UpdateQuietHoursRequest,
    responses((status = 200, body = QuietHoursPeriod), (status = "default", body = ErrorBody)))]
async fn update_quiet_hours_period(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateQuietHoursRequest>,
) -> ApiResult<Json<QuietHoursPeriod>> {
    update_quiet_hours(&app, &caller, UpdateQuietHoursRequest { id, ..req }).await.map(Json)
}

#[utoipa::path(delete, path = "/notifications/quiet-hours/{id}", operation_id = "DeleteQuietHours",
    tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = DeleteQuietHoursResponse), (status = "default", body = ErrorBody)))]
async fn delete_quiet_hours_period(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DeleteQuietHoursResponse>> {
    delete_quiet_hours(&app, &caller, DeleteQuietHoursRequest { id }).await.map(Json)
}
