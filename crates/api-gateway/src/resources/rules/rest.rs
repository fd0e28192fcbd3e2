//! REST: `/api/v1/alert-rules`.

use super::*;
use crate::error::ErrorBody;
use crate::rest::{ApiJson, ApiPath, ApiQuery};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_alert_rules, create_alert_rule))
        .routes(routes!(get_alert_rule, update_alert_rule, delete_alert_rule))
        .routes(routes!(set_alert_rule_enabled))
        .routes(routes!(test_alert_rule))
}

/// The body of `PUT /alert-rules/{id}/enabled`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
struct EnabledBody {
    enabled: bool,
}

#[utoipa::path(get, path = "/alert-rules", operation_id = "ListAlertRules", tag = "alert-rules",
    params(ListAlertRulesRequest),
    responses((status = 200, body = ListAlertRulesResponse), (status = "default", body = ErrorBody)))]
async fn list_alert_rules(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListAlertRulesRequest>,
) -> ApiResult<Json<ListAlertRulesResponse>> {
    list(&app, &caller, req).await.map(Json)
}

#[utoipa::path(post, path = "/alert-rules", operation_id = "CreateAlertRule", tag = "alert-rules",
    request_body = AlertRuleDraft,
    responses((status = 200, body = AlertRule), (status = "default", body = ErrorBody)))]
async fn create_alert_rule(
    State(app): State<App>,
    caller: Caller,
    ApiJson(req): ApiJson<AlertRuleDraft>,
) -> ApiResult<Json<AlertRule>> {
    create(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/alert-rules/{id}", operation_id = "GetAlertRule", tag = "alert-rules",
    params(("id" = String, Path)),
    responses((status = 200, body = AlertRule), (status = "default", body = ErrorBody)))]
async fn get_alert_rule(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<AlertRule>> {
    get(&app, &caller, GetAlertRuleRequest { id }).await.map(Json)
}

#[utoipa::path(put, path = "/alert-rules/{id}", operation_id = "UpdateAlertRule", tag = "alert-rules",
    params(("id" = String, Path)), request_body = AlertRuleDraft,
    responses((status = 200, body = AlertRule), (status = "default", body = ErrorBody)))]
async fn update_alert_rule(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(rule): ApiJson<AlertRuleDraft>,
) -> ApiResult<Json<AlertRule>> {
    update(&app, &caller, UpdateAlertRuleRequest { id, rule: Some(rule) }).await.map(Json)
}

#[utoipa::path(delete, path = "/alert-rules/{id}", operation_id = "DeleteAlertRule", tag = "alert-rules",
    params(("id" = String, Path)),
    responses((status = 200, body = DeleteAlertRuleResponse), (status = "default", body = ErrorBody)))]
async fn delete_alert_rule(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DeleteAlertRuleResponse>> {
    delete(&app, &caller, DeleteAlertRuleRequest { id }).await.map(Json)
}

#[utoipa::path(put, path = "/alert-rules/{id}/enabled", operation_id = "SetAlertRuleEnabled",
    tag = "alert-rules", params(("id" = String, Path)), request_body = EnabledBody,
    responses((status = 200, body = AlertRule), (status = "default", body = ErrorBody)))]
async fn set_alert_rule_enabled(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EnabledBody>,
) -> ApiResult<Json<AlertRule>> {
    set_enabled(&app, &caller, SetAlertRuleEnabledRequest { id, enabled: body.enabled })
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/alert-rules/test", operation_id = "TestAlertRule", tag = "alert-rules",
    request_body = TestAlertRuleRequest,
    responses((status = 200, body = TestAlertRuleResponse), (status = "default", body = ErrorBody)))]
async fn test_alert_rule(
    State(app): State<App>,
    caller: Caller,
    ApiJson(req): ApiJson<TestAlertRuleRequest>,
) -> ApiResult<Json<TestAlertRuleResponse>> {
    test(&app, &caller, req).await.map(Json)
}
