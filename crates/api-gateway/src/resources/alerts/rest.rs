//! REST: `/api/v1/alerts`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(get_alert))
        .routes(routes!(acknowledge_alert))
        .routes(routes!(dismiss_alert))
        .routes(routes!(list_alert_deliveries))
}

#[utoipa::path(get, path = "/alerts", operation_id = "ListAlerts", tag = "alerts",
    params(ListAlertsRequest),
    responses((status = 200, body = ListAlertsResponse), (status = "default", body = ErrorBody)))]
async fn list_alerts(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListAlertsRequest>,
) -> ApiResult<Json<ListAlertsResponse>> {
    list(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/alerts/{id}", operation_id = "GetAlert", tag = "alerts",
    params(("id" = String, Path)),
    responses((status = 200, body = Alert), (status = "default", body = ErrorBody)))]
async fn get_alert(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Alert>> {
    get(&app, &caller, GetAlertRequest { id }).await.map(Json)
}

#[utoipa::path(post, path = "/alerts/{id}/acknowledge", operation_id = "AcknowledgeAlert", tag = "alerts",
    params(("id" = String, Path)), request_body = AcknowledgeAlertRequest,
    responses((status = 200, body = Alert), (status = "default", body = ErrorBody)))]
async fn acknowledge_alert(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AcknowledgeAlertRequest>,
) -> ApiResult<Json<Alert>> {
    acknowledge(&app, &caller, AcknowledgeAlertRequest { id, ..req }).await.map(Json)
}

#[utoipa::path(post, path = "/alerts/{id}/dismiss", operation_id = "DismissAlert", tag = "alerts",
    params(("id" = String, Path)), request_body = DismissAlertRequest,
    responses((status = 200, body = Alert), (status = "default", body = ErrorBody)))]
async fn dismiss_alert(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<DismissAlertRequest>,
) -> ApiResult<Json<Alert>> {
    dismiss(&app, &caller, DismissAlertRequest { id, ..req }).await.map(Json)
}

#[utoipa::path(get, path = "/alerts/{alert_id}/deliveries", operation_id = "ListAlertDeliveries",
    tag = "alerts",
    params(("alert_id" = String, Path), ("limit" = Option<u32>, Query, description = "50 when absent, at most 500"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the page before")),
    responses((status = 200, body = ListAlertDeliveriesResponse), (status = "default", body = ErrorBody)))]
async fn list_alert_deliveries(
    State(app): State<App>,
    caller: Caller,
    ApiPath(alert_id): ApiPath<String>,
    ApiQuery(req): ApiQuery<ListAlertDeliveriesRequest>,
) -> ApiResult<Json<ListAlertDeliveriesResponse>> {
    deliveries(&app, &caller, ListAlertDeliveriesRequest { alert_id, ..req }).await.map(Json)
}
