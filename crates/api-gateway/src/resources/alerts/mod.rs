//! Alerts: listed and read with their delivery state, acknowledged and dismissed (the
//! only change the gateway may make to an alert: its status and version), and each
//! alert's delivery history as the alert engine recorded it.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, one_of, opt_time, opt_ts, ts};
use crate::error::{ApiError, ApiResult};
use crate::paging;
use crate::pb::{
    AcknowledgeAlertRequest, Alert, AlertChannel, AlertDelivery, AlertDeliveryState,
    DismissAlertRequest, GetAlertRequest, ListAlertDeliveriesRequest, ListAlertDeliveriesResponse,
    ListAlertsRequest, ListAlertsResponse,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};
use uuid::Uuid;

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("ListAlerts", Scope::Read),
    ("GetAlert", Scope::Read),
    ("ListAlertDeliveries", Scope::Read),
    ("AcknowledgeAlert", Scope::Operator),
    ("DismissAlert", Scope::Operator),
];

const STATUSES: &[&str] = &["pending", "delivered", "acknowledged", "dismissed"];
const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];

fn statement(app: &App, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(app.db.get_database_backend(), sql, values)
}

#[derive(Debug, FromQueryResult)]
struct AlertRow {
    id: Uuid,
    event_id: i32,
    camera_id: String,
    rule_id: Option<Uuid>,
    rule_name: Option<String>,
    severity: String,
    status: String,
    dedup_key: String,
    summary: Option<String>,
    risk_score: Option<i32>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version_id: i32,
    delivery_state: String,
    delivery_attempts: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
    channels: Option<serde_json::Value>,
    revision: i32,
    stage: Option<String>,
    change: Option<String>,
    withdrawn_at: Option<DateTime<Utc>>,
}

impl AlertRow {
    fn delivery(&self) -> AlertDeliveryState {
        AlertDeliveryState {
            state: self.delivery_state.clone(),
            attempts: self.delivery_attempts,
            next_attempt_at: opt_ts(self.next_attempt_at),
            last_error: self.last_error.clone(),
            delivered_at: opt_ts(self.delivered_at),
        }
    }
}

impl From<AlertRow> for Alert {
    fn from(row: AlertRow) -> Self {
        // The copy of the rule's channels on the alert may hold secrets (header values,
        // tokens in a URL); only each channel's type and bare target are shown.
        let channels = hsi_alerts::Channel::list(row.channels.as_ref())
            .iter()
            .enumerate()
            .map(|(index, channel)| AlertChannel {
                index: i32::try_from(index).unwrap_or(i32::MAX),
                r#type: channel.kind().to_owned(),
                target: channel.display_target(),
            })
            .collect();
        Self {
            delivery: Some(row.delivery()),
            id: row.id.to_string(),
            event_id: i64::from(row.event_id),
            camera_id: row.camera_id,
            rule_id: row.rule_id.map(|id| id.to_string()),
            rule_name: row.rule_name,
            severity: row.severity,
            status: row.status,
            dedup_key: row.dedup_key,
            summary: row.summary,
            risk_score: row.risk_score,
            created_at: ts(row.created_at),
            updated_at: ts(row.updated_at),
            version_id: row.version_id,
            channels,
            revision: row.revision,
            stage: row.stage.unwrap_or_else(|| "final".to_owned()),
            change: row.change,
            withdrawn_at: opt_ts(row.withdrawn_at),
        }
    }
}

const SELECT: &str = "SELECT a.id, a.event_id, e.camera_id, a.rule_id, \
    coalesce(r.name, a.metadata->>'rule_name') AS rule_name, a.severity::text AS severity, \
    a.status::text AS status, a.dedup_key, a.metadata->>'summary' AS summary, e.risk_score, \
    a.created_at, a.updated_at, a.version_id, a.delivery_state, a.delivery_attempts, \
    a.revision, a.metadata->'payload'->>'stage' AS stage, a.metadata->'payload'->>'change' AS change, \
    a.withdrawn_at, \
    a.next_attempt_at, a.last_error, a.delivered_at, a.channels::jsonb AS channels \
    FROM alerts a JOIN events e ON e.id = a.event_id LEFT JOIN alert_rules r ON r.id = a.rule_id";

fn parse_id(field: &str, id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id.trim())
        .map_err(|_| ApiError::invalid(field, format!("{id:?} is not an alert id (a UUID)")))
}

/// Query conditions in `$n` form and their values.
#[derive(Debug, Default)]
struct Filter {
    conditions: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    fn push(&mut self, condition: &str, value: impl Into<Value>) {
        self.values.push(value.into());
        let n = self.values.len();
        self.conditions.push(condition.replace("$?", &format!("${n}")));
    }

    fn sql(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }
}

fn timestamp_micros(field: &str, micros: i64) -> ApiResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| ApiError::invalid(field, "the cursor is not one this API gave out"))
}

pub async fn list(app: &App, _caller: &Caller, req: ListAlertsRequest) -> ApiResult<ListAlertsResponse> {
    let limit = paging::limit(req.limit)?;
    let mut filter = Filter::default();
    if let Some(status) = &req.status {
        one_of("status", status, STATUSES)?;
        filter.push("a.status::text = $?", status.clone());
    }
    if let Some(severity) = &req.severity {
        one_of("severity", severity, SEVERITIES)?;
        filter.push("a.severity::text = $?", severity.clone());
    }
    if let Some(event_id) = req.event_id {
        let id = i32::try_from(event_id)
            .map_err(|_| ApiError::invalid("event_id", format!("{event_id} is not an event id")))?;
        filter.push("a.event_id = $?", id);
    }
    if let Some(rule_id) = &req.rule_id {
        let id = Uuid::parse_str(rule_id.trim())
            .map_err(|_| ApiError::invalid("rule_id", format!("{rule_id:?} is not a rule id (a UUID)")))?;
        filter.push("a.rule_id = $?", id);
    }
    if let Some(camera_id) = &req.camera_id {
        bounded("camera_id", camera_id, 100, true)?;
        filter.push("e.camera_id = $?", camera_id.clone());
    }
    let start = opt_time("start", req.start.as_deref())?;
    let end = opt_time("end", req.end.as_deref())?;
    if let (Some(start), Some(end)) = (start, end) {
        if start >= end {
            return Err(ApiError::invalid("end", "end must be after start"));
        }
    }
    if let Some(start) = start {
        filter.push("a.created_at >= $?", start);
    }
    if let Some(end) = end {
        filter.push("a.created_at < $?", end);
    }
    if let Some((micros, id)) = paging::decode::<(i64, Uuid)>(&req.cursor)? {
        let at = timestamp_micros("cursor", micros)?;
        filter.values.push(at.into());
        filter.values.push(id.into());
        let n = filter.values.len();
        filter
            .conditions
            .push(format!("(a.created_at, a.id) < (${}, ${n})", n - 1));
    }
    filter.values.push(i64::try_from(limit + 1).unwrap_or(i64::MAX).into());
    let sql = format!(
        "{SELECT}{} ORDER BY a.created_at DESC, a.id DESC LIMIT ${}",
        filter.sql(),
        filter.values.len()
    );
    let rows = AlertRow::find_by_statement(statement(app, &sql, filter.values))
        .all(&app.db)
        .await?;
    let (rows, next_cursor, has_more) = paging::page(rows, limit, |last| (last.created_at.timestamp_micros(), last.id));
    Ok(ListAlertsResponse {
        alerts: rows.into_iter().map(Alert::from).collect(),
        next_cursor,
        has_more,
    })
}

async fn find(app: &App, id: Uuid) -> ApiResult<AlertRow> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    AlertRow::find_by_statement(statement(app, &sql, vec![id.into()]))
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("alert {id}")))
}

pub async fn get(app: &App, _caller: &Caller, req: GetAlertRequest) -> ApiResult<Alert> {
    let id = parse_id("id", &req.id)?;
    find(app, id).await.map(Alert::from)
}

/// A review step: which statuses it leaves from and the one it goes to.
struct Step {
    verb: &'static str,
    to: &'static str,
    from: &'static [&'static str],
}

const ACKNOWLEDGE: Step = Step {
    verb: "acknowledged",
    to: "acknowledged",
    from: &["pending", "delivered"],
};
const DISMISS: Step = Step {
    verb: "dismissed",
    to: "dismissed",
    from: &["pending", "delivered", "acknowledged"],
};

/// Moves an alert along `step`, bumping its version. Asking again for the state it is
/// already in changes nothing and succeeds; a step the alert's state does not allow, or
/// a stale `version_id`, is refused as a conflict that names the state.
async fn review(app: &App, id: &str, version_id: Option<i32>, step: &Step) -> ApiResult<Alert> {
    let id = parse_id("id", id)?;
    let from: Vec<String> = step.from.iter().map(|s| (*s).to_owned()).collect();
    let changed = app
        .db
        .execute(statement(
            app,
            "UPDATE alerts SET status = $2::alert_status, version_id = version_id + 1 \
             WHERE id = $1 AND status::text = ANY($3) AND ($4::integer IS NULL OR version_id = $4)",
            vec![id.into(), step.to.into(), from.into(), version_id.into()],
        ))
        .await?;
    let row = find(app, id).await?;
    if changed.rows_affected() == 1 || row.status == step.to {
        return Ok(Alert::from(row));
    }
    if !step.from.contains(&row.status.as_str()) {
        return Err(ApiError::conflict(format!(
            "alert {id} is {}; only a {} alert can be {}",
            row.status,
            step.from.join(" or "),
            step.verb
        )));
    }
    Err(ApiError::conflict(format!(
        "alert {id} is at version {}, not {}; read it again and retry",
        row.version_id,
        version_id.unwrap_or_default()
    )))
}

pub async fn acknowledge(app: &App, caller: &Caller, req: AcknowledgeAlertRequest) -> ApiResult<Alert> {
    let entry = Entry::new("alert.acknowledge", "alert")
        .id(&req.id)
        .details(serde_json::json!({"version_id": req.version_id}));
    audited(&app.db, caller, entry, review(app, &req.id, req.version_id, &ACKNOWLEDGE)).await
}

pub async fn dismiss(app: &App, caller: &Caller, req: DismissAlertRequest) -> ApiResult<Alert> {
    let entry = Entry::new("alert.dismiss", "alert")
        .id(&req.id)
        .details(serde_json::json!({"version_id": req.version_id}));
    audited(&app.db, caller, entry, review(app, &req.id, req.version_id, &DISMISS)).await
}

#[derive(Debug, FromQueryResult)]
struct DeliveryRow {
    id: i64,
    attempt: i32,
    channel_index: i32,
    channel_type: String,
    target: String,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    outcome: String,
    requests: i32,
    http_status: Option<i32>,
    error: Option<String>,
}

impl From<DeliveryRow> for AlertDelivery {
    fn from(row: DeliveryRow) -> Self {
        Self {
            id: row.id,
            attempt: row.attempt,
            channel_index: row.channel_index,
            channel_type: row.channel_type,
            target: row.target,
            started_at: ts(row.started_at),
            finished_at: ts(row.finished_at),
            outcome: row.outcome,
            requests: row.requests,
            http_status: row.http_status,
            error: row.error,
        }
    }
}

pub async fn deliveries(
    app: &App,
    _caller: &Caller,
    req: ListAlertDeliveriesRequest,
) -> ApiResult<ListAlertDeliveriesResponse> {
    let id = parse_id("alert_id", &req.alert_id)?;
    let limit = paging::limit(req.limit)?;
    let alert = find(app, id).await?;
    let mut values: Vec<Value> = vec![id.into()];
    let mut after = String::new();
    if let Some((micros, last)) = paging::decode::<(i64, i64)>(&req.cursor)? {
        values.push(timestamp_micros("cursor", micros)?.into());
        values.push(last.into());
        after = " AND (started_at, id) < ($2, $3)".to_owned();
    }
    values.push(i64::try_from(limit + 1).unwrap_or(i64::MAX).into());
    let sql = format!(
        "SELECT id, attempt, channel_index, channel_type, target, started_at, finished_at, \
         outcome, requests, http_status, error FROM alert_deliveries WHERE alert_id = $1{after} \
         ORDER BY started_at DESC, id DESC LIMIT ${}",
        values.len()
    );
    let rows = DeliveryRow::find_by_statement(statement(app, &sql, values))
        .all(&app.db)
        .await?;
    let (rows, next_cursor, has_more) = paging::page(rows, limit, |last| (last.started_at.timestamp_micros(), last.id));
    Ok(ListAlertDeliveriesResponse {
        deliveries: rows.into_iter().map(AlertDelivery::from).collect(),
        outbox: Some(alert.delivery()),
        next_cursor,
        has_more,
    })
}
