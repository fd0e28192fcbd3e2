//! The audit trail: listed newest first, and verified link by link.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, ts};
use crate::error::ApiResult;
use crate::paging;
use crate::pb::{
    AuditChainReport, AuditLog, ListAuditLogsRequest, ListAuditLogsResponse,
    VerifyAuditChainRequest,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};

pub const POLICY: &[(&str, Scope)] = &[
    ("ListAuditLogs", Scope::Admin),
    ("VerifyAuditChain", Scope::Admin),
];

#[derive(Debug, FromQueryResult)]
struct AuditRow {
    seq: i64,
    timestamp: DateTime<Utc>,
    action: String,
    resource_type: String,
    resource_id: Option<String>,
    actor: String,
    ip_address: Option<String>,
    user_agent: Option<String>,
    details: Option<serde_json::Value>,
    status: String,
    prev_hash: String,
    row_hash: String,
}

impl From<AuditRow> for AuditLog {
    fn from(row: AuditRow) -> Self {
        Self {
            seq: row.seq,
            timestamp: ts(row.timestamp),
            action: row.action,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            actor: row.actor,
            ip_address: row.ip_address,
            user_agent: row.user_agent,
            details: row.details.map(|d| d.to_string()),
            status: row.status,
            prev_hash: row.prev_hash,
            row_hash: row.row_hash,
        }
    }
}

pub async fn list(app: &App, _caller: &Caller, req: ListAuditLogsRequest) -> ApiResult<ListAuditLogsResponse> {
    for (field, value) in [
        ("action", &req.action),
        ("resource_type", &req.resource_type),
        ("actor", &req.actor),
        ("status", &req.status),
    ] {
        if let Some(value) = value {
            bounded(field, value, 100, false)?;
        }
    }
    let limit = paging::limit(req.limit)?;
    let after: Option<i64> = paging::decode(&req.cursor)?;
    let rows = AuditRow::find_by_statement(Statement::from_sql_and_values(
        app.db.get_database_backend(),
        "SELECT seq, \"timestamp\", action, resource_type, resource_id, actor, ip_address, \
         user_agent, details, status, prev_hash, row_hash FROM audit_logs \
         WHERE seq IS NOT NULL AND ($1::bigint IS NULL OR seq < $1) \
         AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR resource_type = $3) \
         AND ($4::text IS NULL OR actor = $4) AND ($5::text IS NULL OR status = $5) \
         ORDER BY seq DESC LIMIT $6",
        [
            after.into(),
            req.action.into(),
            req.resource_type.into(),
            req.actor.into(),
            req.status.into(),
            (limit as i64 + 1).into(),
        ],
    ))
    .all(&app.db)
    .await?;
    let (rows, next_cursor, has_more) = paging::page(rows, limit, |last| last.seq);
    Ok(ListAuditLogsResponse {
        entries: rows.into_iter().map(AuditLog::from).collect(),
        next_cursor,
        has_more,
    })
}

#[derive(Debug, FromQueryResult)]
struct ChainCheck {
    rows_checked: i64,
    first_broken_seq: Option<i64>,
    reason: Option<String>,
}

/// Recomputes every row's hash and link; names the first row that does not match.
pub async fn verify(app: &App, _caller: &Caller, _req: VerifyAuditChainRequest) -> ApiResult<AuditChainReport> {
    let check = ChainCheck::find_by_statement(Statement::from_string(
        app.db.get_database_backend(),
        "WITH chain AS ( \
            SELECT seq, row_hash, prev_hash, \
                lag(row_hash) OVER (ORDER BY seq) AS expected_prev, \
                lag(seq) OVER (ORDER BY seq) AS prev_seq, \
                audit_log_row_hash(prev_hash, seq, \"timestamp\", action, resource_type, \
                    resource_id, actor, ip_address, user_agent, details, status) AS recomputed \
            FROM audit_logs WHERE seq IS NOT NULL), \
         broken AS ( \
            SELECT seq, CASE \
                WHEN seq <> coalesce(prev_seq, 0) + 1 THEN 'rows before this one are missing' \
                WHEN prev_hash IS DISTINCT FROM coalesce(expected_prev, repeat('0', 64)) \
                    THEN 'its link does not match the previous row (a row was removed or replaced)' \
                ELSE 'its content does not match its hash (the row was edited)' END AS reason \
            FROM chain \
            WHERE row_hash IS DISTINCT FROM recomputed \
               OR prev_hash IS DISTINCT FROM coalesce(expected_prev, repeat('0', 64)) \
               OR seq <> coalesce(prev_seq, 0) + 1 \
            ORDER BY seq LIMIT 1) \
         SELECT (SELECT count(*) FROM chain) AS rows_checked, \
                (SELECT seq FROM broken) AS first_broken_seq, \
                (SELECT reason FROM broken) AS reason",
    ))
    .one(&app.db)
    .await?
    .unwrap_or(ChainCheck {
        rows_checked: 0,
        first_broken_seq: None,
        reason: None,
    });
    Ok(AuditChainReport {
        intact: check.first_broken_seq.is_none(),
        rows_checked: check.rows_checked,
        first_broken_seq: check.first_broken_seq,
        reason: check.reason,
    })
}
