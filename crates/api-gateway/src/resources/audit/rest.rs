//! REST: `/api/v1/audit`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::ApiQuery;
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_audit_logs))
        .routes(routes!(verify_audit_chain))
}

#[utoipa::path(get, path = "/audit", operation_id = "ListAuditLogs", tag = "audit",
    params(ListAuditLogsRequest),
    responses((status = 200, body = ListAuditLogsResponse), (status = "default", body = ErrorBody)))]
async fn list_audit_logs(State(app): State<App>, caller: Caller, ApiQuery(req): ApiQuery<ListAuditLogsRequest>) -> ApiResult<Json<ListAuditLogsResponse>> {
    list(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/audit/verify", operation_id = "VerifyAuditChain", tag = "audit",
    responses((status = 200, body = AuditChainReport), (status = "default", body = ErrorBody)))]
async fn verify_audit_chain(State(app): State<App>, caller: Caller) -> ApiResult<Json<AuditChainReport>> {
    verify(&app, &caller, VerifyAuditChainRequest {}).await.map(Json)
}
