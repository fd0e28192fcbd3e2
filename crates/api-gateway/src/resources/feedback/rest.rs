//! REST: `/api/v1/events/{id}/feedback` and `/api/v1/feedback/stats`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(submit_event_feedback, get_event_feedback))
        .routes(routes!(get_feedback_stats))
}

#[utoipa::path(put, path = "/events/{id}/feedback", operation_id = "SubmitEventFeedback",
    tag = "feedback",
    description = "Records the feedback on the event, replacing any given before. \
        expected_severity is required exactly when feedback_type is severity_wrong.",
    params(("id" = i64, Path)), request_body = SubmitEventFeedbackRequest,
    responses((status = 200, body = EventFeedback), (status = "default", body = ErrorBody)))]
async fn submit_event_feedback(
    State(app): State<App>,
    caller: Caller,
    ApiPath(event_id): ApiPath<i64>,
    ApiJson(req): ApiJson<SubmitEventFeedbackRequest>,
) -> ApiResult<Json<EventFeedback>> {
    submit(&app, &caller, SubmitEventFeedbackRequest { event_id, ..req }).await.map(Json)
}

#[utoipa::path(get, path = "/events/{id}/feedback", operation_id = "GetEventFeedback",
    tag = "feedback", params(("id" = i64, Path)),
    responses((status = 200, body = EventFeedback), (status = "default", body = ErrorBody)))]
async fn get_event_feedback(
    State(app): State<App>,
    caller: Caller,
    ApiPath(event_id): ApiPath<i64>,
) -> ApiResult<Json<EventFeedback>> {
    get(&app, &caller, GetEventFeedbackRequest { event_id }).await.map(Json)
}

#[utoipa::path(get, path = "/feedback/stats", operation_id = "GetFeedbackStats", tag = "feedback",
    params(
        ("camera_id" = Option<String>, Query, description = "One camera only."),
        ("start_time" = Option<String>, Query, description = "Events that started at or after (RFC 3339)."),
        ("end_time" = Option<String>, Query, description = "Events that started before (RFC 3339).")),
    responses((status = 200, body = FeedbackStats), (status = "default", body = ErrorBody)))]
async fn get_feedback_stats(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<GetFeedbackStatsRequest>,
) -> ApiResult<Json<FeedbackStats>> {
    stats(&app, &caller, req).await.map(Json)
}
