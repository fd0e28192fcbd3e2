//! Events: listed newest first with keyset pages, searched by full text, read with
//! their detections, judgement and alerts, reviewed, soft-deleted and restored; and
//! watched live (gRPC stream and WebSocket share [`watch`]).

pub mod grpc;
pub(crate) mod query;
pub mod rest;
mod search;
mod watch;

pub use search::search;
pub use watch::{watch, WatchStream};

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, opt_ts, ts};
use crate::error::{ApiError, ApiResult};
use crate::paging;
use crate::pb::{
    DeleteEventRequest, Event, EventAlert, EventAudit, EventDetail, GetEventRequest,
    ListEventsRequest, ListEventsResponse, RestoreEventRequest, ReviewEventRequest,
};
use chrono::{DateTime, Utc};
use query::{raw_criteria, Conditions, Criteria};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("ListEvents", Scope::Read),
    ("SearchEvents", Scope::Read),
    ("GetEvent", Scope::Read),
    ("WatchEvents", Scope::Read),
    ("ReviewEvent", Scope::Operator),
    ("DeleteEvent", Scope::Operator),
    ("RestoreEvent", Scope::Operator),
];

const NOTES_MAX: usize = 10_000;

#[derive(Debug, FromQueryResult)]
pub(crate) struct EventRow {
    pub id: i32,
    batch_id: String,
    camera_id: String,
    camera_name: String,
    pub started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    risk_score: Option<i32>,
    risk_level: Option<String>,
    summary: Option<String>,
    reasoning: Option<String>,
    object_types: Option<String>,
    detection_ids: Option<String>,
    reviewed: bool,
    notes: Option<String>,
    is_fast_path: bool,
    clip_path: Option<String>,
    deleted_at: Option<DateTime<Utc>>,
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Self {
        Self {
            id: i64::from(row.id),
            batch_id: row.batch_id,
            camera_id: row.camera_id,
            camera_name: row.camera_name,
            started_at: ts(row.started_at),
            ended_at: opt_ts(row.ended_at),
            risk_score: row.risk_score,
            risk_level: row.risk_level,
            summary: row.summary,
            reasoning: row.reasoning,
            object_types: query::split_list(row.object_types.as_deref()),
            detection_ids: query::parse_ids(row.detection_ids.as_deref()),
            reviewed: row.reviewed,
            notes: row.notes,
            is_fast_path: row.is_fast_path,
            clip_path: row.clip_path,
            deleted_at: opt_ts(row.deleted_at),
        }
    }
}

/// The columns of [`EventRow`] from `events e JOIN cameras c`.
pub(crate) const EVENT_COLUMNS: &str = "e.id, e.batch_id, e.camera_id, c.name AS camera_name, \
    e.started_at, e.ended_at, e.risk_score, e.risk_level, e.summary, e.reasoning, \
    e.object_types, e.detection_ids, e.reviewed, e.notes, e.is_fast_path, e.clip_path, \
    e.deleted_at";
pub(crate) const EVENT_FROM: &str = "FROM events e JOIN cameras c ON c.id = e.camera_id";

pub(crate) fn statement(app: &App, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(app.db.get_database_backend(), sql, values)
}

/// An event id from a request: events ids are positive 32-bit integers.
pub(crate) fn check_event_id(field: &str, id: i64) -> ApiResult<i32> {
    i32::try_from(id)
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid(field, format!("{field} {id} is not a valid event id")))
}

pub async fn list(app: &App, _caller: &Caller, req: ListEventsRequest) -> ApiResult<ListEventsResponse> {
    let criteria = Criteria::check(raw_criteria!(req))?;
    let limit = paging::limit(req.limit)?;
    let after = paging::decode::<(i64, i64)>(&req.cursor)?;
    let mut sql = Conditions::default();
    criteria.apply(&mut sql);
    if let Some((micros, id)) = after {
        let at = DateTime::<Utc>::from_timestamp_micros(micros)
            .ok_or_else(|| ApiError::invalid("cursor", "the cursor is not one this API gave out"))?;
        let (a, b) = (sql.bind(at), sql.bind(id));
        // A row comparison: the (started_at DESC, id DESC) indexes start the scan there.
        sql.push(format!("(e.started_at, e.id) < ({a}, {b})"));
    }
    let l = sql.bind(limit as i64 + 1);
    let text = format!(
        "SELECT {EVENT_COLUMNS} {EVENT_FROM} {} ORDER BY e.started_at DESC, e.id DESC LIMIT {l}",
        sql.where_clause()
    );
    let rows = EventRow::find_by_statement(statement(app, &text, sql.values))
        .all(&app.db)
        .await?;
    let (rows, next_cursor, has_more) = paging::page(rows, limit, |last| (last.started_at.timestamp_micros(), i64::from(last.id)));
    Ok(ListEventsResponse {
        events: rows.into_iter().map(Event::from).collect(),
        next_cursor,
        has_more,
    })
}

/// One event, deleted or not.
pub(crate) async fn find(app: &App, id: i32) -> ApiResult<Event> {
    let text = format!("SELECT {EVENT_COLUMNS} {EVENT_FROM} WHERE e.id = $1");
    EventRow::find_by_statement(statement(app, &text, vec![id.into()]))
        .one(&app.db)
        .await?
        .map(Event::from)
        .ok_or_else(|| ApiError::not_found(format!("event {id}")))
}

#[derive(Debug, FromQueryResult)]
struct AuditRow {
    audited_at: DateTime<Utc>,
    prompt_version: Option<i32>,
    llm_model: Option<String>,
    is_fallback: bool,
    fallback_reason: Option<String>,
    llm_latency_ms: Option<i32>,
    llm_prompt_tokens: Option<i32>,
    llm_completion_tokens: Option<i32>,
    evidence_score: Option<i32>,
    llm_proposed_score: Option<i32>,
    llm_adjustment: Option<i32>,
    adjustment_reason: Option<String>,
    structured_output: Option<String>,
    stage: String,
}

#[derive(Debug, FromQueryResult)]
pub(crate) struct AlertRow {
    pub event_id: i32,
    id: String,
    rule_id: Option<String>,
    severity: String,
    status: String,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    dedup_key: String,
    revision: i32,
    withdrawn_at: Option<DateTime<Utc>>,
}

impl From<AlertRow> for EventAlert {
    fn from(row: AlertRow) -> Self {
        Self {
            id: row.id,
            rule_id: row.rule_id,
            severity: row.severity,
            status: row.status,
            created_at: ts(row.created_at),
            delivered_at: opt_ts(row.delivered_at),
            dedup_key: row.dedup_key,
            revision: row.revision,
            withdrawn_at: opt_ts(row.withdrawn_at),
        }
    }
}

/// The alerts of `events`, oldest first.
pub(crate) async fn alerts_of(app: &App, events: Vec<i32>) -> ApiResult<Vec<AlertRow>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    Ok(AlertRow::find_by_statement(statement(
        app,
        "SELECT event_id, id::text AS id, rule_id::text AS rule_id, severity::text AS severity, \
         status::text AS status, created_at, delivered_at, dedup_key, revision, withdrawn_at FROM alerts \
         WHERE event_id = ANY($1::int4[]) ORDER BY created_at, id",
        vec![events.into()],
    ))
    .all(&app.db)
    .await?)
}

pub async fn get(app: &App, _caller: &Caller, req: GetEventRequest) -> ApiResult<EventDetail> {
    let id = check_event_id("id", req.id)?;
    // The event first, so a missing one is a 404; then its parts concurrently, each
    // on its own pooled connection, so a detail costs one round trip more than a row.
    let event = find(app, id).await?;
    let audit = async {
        AuditRow::find_by_statement(statement(
            app,
            "SELECT audited_at, prompt_version, llm_model, is_fallback, fallback_reason, llm_latency_ms, \
             llm_prompt_tokens, llm_completion_tokens, evidence_score, llm_proposed_score, llm_adjustment, \
             adjustment_reason, structured_output, stage FROM event_audits WHERE event_id = $1",
            vec![id.into()],
        ))
        .one(&app.db)
        .await
        .map_err(ApiError::from)
    };
    let (detections, audit, alerts) = tokio::try_join!(
        crate::resources::detections::of_event(app, id),
        audit,
        alerts_of(app, vec![id]),
    )?;
    let audit = audit.map(|row| EventAudit {
        audited_at: ts(row.audited_at),
        prompt_version: row.prompt_version,
        llm_model: row.llm_model,
        is_fallback: row.is_fallback,
        fallback_reason: row.fallback_reason,
        llm_latency_ms: row.llm_latency_ms,
        llm_prompt_tokens: row.llm_prompt_tokens,
        llm_completion_tokens: row.llm_completion_tokens,
        evidence_score: row.evidence_score,
        llm_proposed_score: row.llm_proposed_score,
        llm_adjustment: row.llm_adjustment,
        adjustment_reason: row.adjustment_reason,
        structured_output: row.structured_output,
        stage: row.stage,
    });
    Ok(EventDetail {
        event: Some(event),
        detections,
        audit,
        alerts: alerts.into_iter().map(EventAlert::from).collect(),
    })
}

/// Marks an event reviewed or not, and sets or clears its notes.
pub async fn review(app: &App, caller: &Caller, req: ReviewEventRequest) -> ApiResult<Event> {
    let entry = Entry::new("event.review", "event").id(req.id).details(serde_json::json!({
        "reviewed": req.reviewed,
        "notes_chars": req.notes.as_ref().map(|n| n.chars().count()),
    }));
    audited(&app.db, caller, entry, async {
        let id = check_event_id("id", req.id)?;
        if let Some(notes) = &req.notes {
            bounded("notes", notes, NOTES_MAX, false)?;
        }
        if req.reviewed.is_none() && req.notes.is_none() {
            return Err(ApiError::invalid(
                "reviewed",
                "nothing to change: give reviewed (true or false) and/or notes",
            ));
        }
        let notes = req.notes.as_ref().map(|n| n.trim().to_owned());
        let changed = app
            .db
            .execute(statement(
                app,
                "UPDATE events SET reviewed = coalesce($2, reviewed), \
                 notes = CASE WHEN $3::text IS NULL THEN notes WHEN $3::text = '' THEN NULL ELSE $3::text END \
                 WHERE id = $1",
                vec![id.into(), req.reviewed.into(), notes.into()],
            ))
            .await?;
        if changed.rows_affected() == 0 {
            return Err(ApiError::not_found(format!("event {id}")));
        }
        find(app, id).await
    })
    .await
}

async fn set_deleted(app: &App, id: i64, deleted: bool) -> ApiResult<Event> {
    let id = check_event_id("id", id)?;
    let sql = if deleted {
        "UPDATE events SET deleted_at = coalesce(deleted_at, now()) WHERE id = $1"
    } else {
        "UPDATE events SET deleted_at = NULL WHERE id = $1"
    };
    let changed = app.db.execute(statement(app, sql, vec![id.into()])).await?;
    if changed.rows_affected() == 0 {
        return Err(ApiError::not_found(format!("event {id}")));
    }
    find(app, id).await
}

/// Soft delete: the event stays, hidden from lists and searches until restored.
pub async fn delete(app: &App, caller: &Caller, req: DeleteEventRequest) -> ApiResult<Event> {
    let entry = Entry::new("event.delete", "event").id(req.id);
    audited(&app.db, caller, entry, set_deleted(app, req.id, true)).await
}

pub async fn restore(app: &App, caller: &Caller, req: RestoreEventRequest) -> ApiResult<Event> {
    let entry = Entry::new("event.restore", "event").id(req.id);
    audited(&app.db, caller, entry, set_deleted(app, req.id, false)).await
}
