//! The system as an operator sees it: each service's health, the queues between them
//! and their dead letters, the file ledger's refusals, GPU figures, how long each stage
//! of the pipeline takes, and the version running.

pub mod grpc;
pub mod health;
pub mod queues;
pub mod records;
pub mod rest;

use crate::app::App;
use crate::auth::{Caller, Scope};
use crate::convert::{opt_time, ts};
use crate::error::{ApiError, ApiResult};
use crate::pb::{GetSystemVersionRequest, SystemVersion};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement, Value};
use std::sync::OnceLock;
use std::time::Instant;

pub use health::health;
pub use queues::{get_dead_letter, list_dead_letters, queue_stats, requeue_dead_letters};
pub use records::{gpu_stats, latency, refused_files};

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("GetSystemHealth", Scope::Read),
    ("GetQueueStats", Scope::Read),
    ("ListDeadLetters", Scope::Read),
    ("GetDeadLetter", Scope::Read),
    ("RequeueDeadLetters", Scope::Admin),
    ("ListRefusedFiles", Scope::Read),
    ("ListGpuStats", Scope::Read),
    ("GetPipelineLatency", Scope::Read),
    ("GetVersion", Scope::Read),
];

static STARTED: OnceLock<(Instant, DateTime<Utc>)> = OnceLock::new();

/// Notes when the gateway started serving (the first adapter to be set up says so).
pub(crate) fn mark_started() -> (Instant, DateTime<Utc>) {
    *STARTED.get_or_init(|| (Instant::now(), Utc::now()))
}

fn statement(app: &App, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(app.db.get_database_backend(), sql, values)
}

/// A time window from optional `since` and `until`: by default the last hour.
fn window(since: Option<&str>, until: Option<&str>) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let until = opt_time("until", until)?.unwrap_or_else(Utc::now);
    let since = opt_time("since", since)?.unwrap_or(until - chrono::Duration::hours(1));
    if since > until {
        return Err(ApiError::invalid(
            "since",
            format!("since ({}) is after until ({})", ts(since), ts(until)),
        ));
    }
    Ok((since, until))
}

pub async fn version(
    app: &App,
    _caller: &Caller,
    _req: GetSystemVersionRequest,
) -> ApiResult<SystemVersion> {
    let row = app
        .db
        .query_one(statement(
            app,
            "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1",
            vec![],
        ))
        .await?;
    let schema_migration = row
        .map(|row| row.try_get::<String>("", "version"))
        .transpose()?;
    let (started, started_at) = mark_started();
    Ok(SystemVersion {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        git_commit: option_env!("HSI_GIT_COMMIT")
            .unwrap_or("unknown")
            .to_owned(),
        schema_migration,
        uptime_seconds: i64::try_from(started.elapsed().as_secs()).unwrap_or(i64::MAX),
        started_at: ts(started_at),
    })
}
