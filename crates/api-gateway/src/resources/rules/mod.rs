//! Alert rules: created, read, replaced, enabled and disabled, deleted, and tested
//! against the latest events. A rule is stored in the JSON shapes the analysis worker's
//! alert engine (hsi-alerts) reads, and only after that engine's own parser has taken
//! it, with the stricter checks it applies to a rule about to be saved.

pub mod grpc;
mod json;
pub mod rest;
mod trial;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::error::{ApiError, ApiResult, Code};
use crate::paging;
use crate::pb::{
    AlertRule, AlertRuleDraft, DeleteAlertRuleRequest, DeleteAlertRuleResponse,
    GetAlertRuleRequest, ListAlertRulesRequest, ListAlertRulesResponse,
    SetAlertRuleEnabledRequest, TestAlertRuleRequest, TestAlertRuleResponse,
    UpdateAlertRuleRequest,
};
use hsi_db::entities::alert_rules;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("CreateAlertRule", Scope::Admin),
    ("ListAlertRules", Scope::Admin),
    ("GetAlertRule", Scope::Admin),
    ("UpdateAlertRule", Scope::Admin),
    ("DeleteAlertRule", Scope::Admin),
    ("SetAlertRuleEnabled", Scope::Admin),
    ("TestAlertRule", Scope::Operator),
];

fn parse_id(field: &str, id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id.trim())
        .map_err(|_| ApiError::invalid(field, format!("{id:?} is not an alert rule id (a UUID)")))
}

async fn find(app: &App, id: Uuid) -> ApiResult<alert_rules::Model> {
    alert_rules::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("alert rule {id}")))
}

pub async fn create(app: &App, caller: &Caller, req: AlertRuleDraft) -> ApiResult<AlertRule> {
    let id = Uuid::now_v7();
    let checked = json::to_model(id, &req, req.enabled.unwrap_or(true), "");
    let details = checked.as_ref().map_or_else(
        |_| serde_json::json!({"name": req.name}),
        |(model, _)| json::audit_details(model),
    );
    let entry = Entry::new("alert_rule.create", "alert_rule").id(id).details(details);
    audited(&app.db, caller, entry, async {
        let (model, _) = checked?;
        let mut row = model.into_active_model().reset_all();
        // The database stamps both.
        row.created_at = NotSet;
        row.updated_at = NotSet;
        row.insert(&app.db).await.map(json::to_api).map_err(ApiError::from)
    })
    .await
}

pub async fn list(app: &App, _caller: &Caller, req: ListAlertRulesRequest) -> ApiResult<ListAlertRulesResponse> {
    let mut query = alert_rules::Entity::find();
    if let Some(enabled) = req.enabled {
        query = query.filter(alert_rules::Column::Enabled.eq(enabled));
    }
    if let Some(severity) = &req.severity {
        query = query.filter(alert_rules::Column::Severity.eq(json::severity("severity", severity)?));
    }
    let rows = query
        .order_by_asc(alert_rules::Column::Name)
        .order_by_asc(alert_rules::Column::Id)
        .all(&app.db)
        .await?;
    Ok(ListAlertRulesResponse {
        rules: rows.into_iter().map(json::to_api).collect(),
    })
}

pub async fn get(app: &App, _caller: &Caller, req: GetAlertRuleRequest) -> ApiResult<AlertRule> {
    let id = parse_id("id", &req.id)?;
    find(app, id).await.map(json::to_api)
}

pub async fn update(app: &App, caller: &Caller, req: UpdateAlertRuleRequest) -> ApiResult<AlertRule> {
    let draft = req.rule.clone().unwrap_or_default();
    let entry = Entry::new("alert_rule.update", "alert_rule").id(&req.id);
    let checked = parse_id("id", &req.id).and_then(|id| {
        // `enabled` is settled against the row below; any value checks the rest.
        json::to_model(id, &draft, draft.enabled.unwrap_or(true), "rule.").map(|(model, _)| model)
    });
    let entry = match &checked {
        Ok(model) => entry.details(json::audit_details(model)),
        Err(_) => entry.details(serde_json::json!({"name": draft.name})),
    };
    audited(&app.db, caller, entry, async {
        if req.rule.is_none() {
            return Err(ApiError::invalid("rule", "give the rule's new definition"));
        }
        let model = checked?;
        let mut row = model.into_active_model().reset_all();
        row.enabled = match draft.enabled {
            Some(enabled) => Set(enabled),
            None => NotSet,
        };
        row.created_at = NotSet;
        row.updated_at = NotSet;
        match row.update(&app.db).await {
            Ok(updated) => Ok(json::to_api(updated)),
            Err(sea_orm::DbErr::RecordNotUpdated) => {
                Err(ApiError::not_found(format!("alert rule {}", req.id.trim())))
            }
            Err(err) => Err(err.into()),
        }
    })
    .await
}

pub async fn delete(app: &App, caller: &Caller, req: DeleteAlertRuleRequest) -> ApiResult<DeleteAlertRuleResponse> {
    let entry = Entry::new("alert_rule.delete", "alert_rule").id(&req.id);
    audited(&app.db, caller, entry, async {
        let id = parse_id("id", &req.id)?;
        let deleted = alert_rules::Entity::delete_by_id(id).exec(&app.db).await?;
        if deleted.rows_affected == 0 {
            return Err(ApiError::not_found(format!("alert rule {id}")));
        }
        Ok(DeleteAlertRuleResponse {
            id: id.to_string(),
            deleted: true,
        })
    })
    .await
}

pub async fn set_enabled(app: &App, caller: &Caller, req: SetAlertRuleEnabledRequest) -> ApiResult<AlertRule> {
    let entry = Entry::new("alert_rule.set_enabled", "alert_rule")
        .id(&req.id)
        .details(serde_json::json!({"enabled": req.enabled}));
    audited(&app.db, caller, entry, async {
        let id = parse_id("id", &req.id)?;
        let current = find(app, id).await?;
        if req.enabled {
            // A rule the engine cannot parse would be skipped: enabling it would only
            // look like it works.
            hsi_alerts::AlertRule::validated(&current).map_err(|err| {
                ApiError::new(
                    Code::FailedPrecondition,
                    format!("the rule cannot be enabled: {}: {}; update it first", err.field, err.message),
                )
            })?;
        }
        alert_rules::Entity::update_many()
            .col_expr(alert_rules::Column::Enabled, Expr::value(req.enabled))
            .filter(alert_rules::Column::Id.eq(id))
            .exec(&app.db)
            .await?;
        find(app, id).await.map(json::to_api)
    })
    .await
}

/// Evaluates a saved rule, or an unsaved one, against the latest events.
pub async fn test(app: &App, _caller: &Caller, req: TestAlertRuleRequest) -> ApiResult<TestAlertRuleResponse> {
    let limit = paging::limit(req.limit)?;
    let rule_id = req.rule_id.as_deref().filter(|id| !id.trim().is_empty());
    let rule = match (rule_id, &req.rule) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("rule_id", "give rule_id or rule, not both"));
        }
        (None, None) => {
            return Err(ApiError::invalid("rule_id", "give the rule_id of a saved rule, or an unsaved rule"));
        }
        (Some(id), None) => {
            let model = find(app, parse_id("rule_id", id)?).await?;
            // What the engine does with the stored row, malformed or not.
            hsi_alerts::AlertRule::from_model(&model).map_err(|err| {
                ApiError::new(
                    Code::FailedPrecondition,
                    format!("the alert engine skips this rule: {}: {}", err.field, err.message),
                )
            })?
        }
        (None, Some(draft)) => json::to_model(Uuid::nil(), draft, draft.enabled.unwrap_or(true), "rule.")?.1,
    };
    trial::run(app, &rule, limit).await
}
