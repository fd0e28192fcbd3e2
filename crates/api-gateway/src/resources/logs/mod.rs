//! The services' log lines (the `logs` table, written by each service's log writer):
//! listed newest first, filtered and searched by full text.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, one_of, opt_time, ts};
use crate::error::ApiResult;
use crate::paging;
use crate::pb::{ListLogsRequest, ListLogsResponse, LogEntry};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};

/// Log lines name internals (hosts, paths, errors): operators and admins only.
pub const POLICY: &[(&str, Scope)] = &[("ListLogs", Scope::Operator)];

/// The table's levels, least severe first; a `level` filter keeps that one and above.
const LEVELS: &[&str] = &["debug", "info", "warning", "error", "critical"];

#[derive(Debug, FromQueryResult)]
struct LogRow {
    id: i32,
    timestamp: DateTime<Utc>,
    level: String,
    component: String,
    message: String,
    camera_id: Option<String>,
    event_id: Option<i32>,
    request_id: Option<String>,
    detection_id: Option<i32>,
    duration_ms: Option<i32>,
    extra: Option<serde_json::Value>,
    source: String,
}

impl From<LogRow> for LogEntry {
    fn from(row: LogRow) -> Self {
        Self {
            id: row.id.into(),
            timestamp: ts(row.timestamp),
            level: row.level,
            component: row.component,
            message: row.message,
            camera_id: row.camera_id,
            event_id: row.event_id,
            request_id: row.request_id,
            detection_id: row.detection_id,
            duration_ms: row.duration_ms,
            extra: row.extra.map(|extra| extra.to_string()),
            source: row.source,
        }
    }
}

pub async fn list(
    app: &App,
    _caller: &Caller,
    req: ListLogsRequest,
) -> ApiResult<ListLogsResponse> {
    let q = req.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if let Some(q) = q {
        bounded("q", q, 200, false)?;
    }
    for (field, value) in [("component", &req.component), ("camera_id", &req.camera_id)] {
        if let Some(value) = value {
            bounded(field, value, 100, false)?;
        }
    }
    // The lowest level's position in LEVELS, 1-based as `array_position` counts.
    let min_level = match req.level.as_deref().map(str::to_ascii_lowercase) {
        Some(level) => {
            one_of("level", &level, LEVELS)?;
            LEVELS
                .iter()
                .position(|l| *l == level)
                .map(|i| i as i32 + 1)
        }
        None => None,
    };
    let since = opt_time("since", req.since.as_deref())?;
    let until = opt_time("until", req.until.as_deref())?;
    let limit = paging::limit(req.limit)?;
    let after: Option<i32> = paging::decode(&req.cursor)?;
    let rows = LogRow::find_by_statement(Statement::from_sql_and_values(
        app.db.get_database_backend(),
        "SELECT id, \"timestamp\", level, component, message, camera_id, event_id, request_id, \
                detection_id, duration_ms, extra, source \
         FROM logs \
         WHERE ($1::int IS NULL OR id < $1) \
           AND ($2::text IS NULL OR search_vector @@ websearch_to_tsquery('english', $2)) \
           AND ($3::int IS NULL OR array_position(ARRAY['DEBUG','INFO','WARNING','ERROR','CRITICAL']::text[], level::text) >= $3) \
           AND ($4::text IS NULL OR component = $4) \
           AND ($5::text IS NULL OR camera_id = $5) \
           AND ($6::int IS NULL OR event_id = $6) \
           AND ($7::timestamptz IS NULL OR \"timestamp\" >= $7) \
           AND ($8::timestamptz IS NULL OR \"timestamp\" < $8) \
         ORDER BY id DESC LIMIT $9",
        [
            after.into(),
            q.map(str::to_owned).into(),
            min_level.into(),
            req.component.into(),
            req.camera_id.into(),
            req.event_id.into(),
            since.into(),
            until.into(),
            (limit as i64 + 1).into(),
        ],
    ))
    .all(&app.db)
    .await?;
    let (rows, next_cursor, has_more) = paging::page(rows, limit, |last| last.id);
    Ok(ListLogsResponse {
        entries: rows.into_iter().map(LogEntry::from).collect(),
        next_cursor,
        has_more,
    })
}
