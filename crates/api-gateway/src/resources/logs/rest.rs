//! REST: `/api/v1/logs`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::ApiQuery;
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_logs))
}

#[utoipa::path(get, path = "/logs", operation_id = "ListLogs", tag = "logs",
    params(ListLogsRequest),
    responses((status = 200, body = ListLogsResponse), (status = "default", body = ErrorBody)))]
async fn list_logs(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListLogsRequest>,
) -> ApiResult<Json<ListLogsResponse>> {
    list(&app, &caller, req).await.map(Json)
}
