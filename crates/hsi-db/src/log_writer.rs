//! Drains the log-capture buffer (`hsi_core::log_capture`) into the `logs` table in
//! batches, on its own task so no service work ever waits on it.
//!
//! A failed insert is retried with back-off while new lines wait in the bounded buffer
//! (beyond it they are dropped and counted); after [`ATTEMPTS`] failures the batch is
//! dropped and counted with `reason="database"`, so a long outage costs lines, never the
//! service. The writer's own messages use the target this module's path names, which
//! the capture layer never copies.

use crate::entities::shared::logs;
use chrono::{DateTime, Utc};
use hsi_core::log_capture::{LogReceiver, LogRecord};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Level;

/// Lines written per insert at most.
const BATCH: usize = 200;
/// Tries per batch before it is given up.
const ATTEMPTS: u32 = 5;
/// The longest one insert may take before it counts as failed.
const INSERT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long buffered lines may take to be written at shutdown.
const DRAIN_DEADLINE: Duration = Duration::from_secs(3);

/// Starts the writer for the global subscriber's buffer, if copying is on; `component`
/// is the service's name, as the `logs.component` column shows it.
pub fn spawn(
    db: DatabaseConnection,
    component: &'static str,
    cancel: CancellationToken,
) -> Option<JoinHandle<()>> {
    let receiver = hsi_core::log_capture::take_receiver()?;
    Some(tokio::spawn(run(db, receiver, component, cancel)))
}

/// Writes lines from `receiver` until `cancel`, then what is still buffered, within
/// [`DRAIN_DEADLINE`].
pub async fn run(
    db: DatabaseConnection,
    mut receiver: LogReceiver,
    component: &'static str,
    cancel: CancellationToken,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            received = receiver.recv_many(&mut batch, BATCH) => if received == 0 { return },
        }
        write_with_retry(&db, &mut batch, component, &cancel).await;
    }
    let drain = async {
        loop {
            while batch.len() < BATCH {
                match receiver.try_recv() {
                    Ok(record) => batch.push(record),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                return;
            }
            if insert(&db, &batch, component).await.is_err() {
                dropped("database", batch.len());
                return;
            }
            written(batch.len());
            batch.clear();
        }
    };
    if tokio::time::timeout(DRAIN_DEADLINE, drain).await.is_err() {
        tracing::warn!(
            buffered = receiver.len(),
            "log lines not written to the database before shutdown"
        );
    }
}

async fn write_with_retry(
    db: &DatabaseConnection,
    batch: &mut Vec<LogRecord>,
    component: &'static str,
    cancel: &CancellationToken,
) {
    let mut backoff = Duration::from_millis(500);
    for attempt in 1..=ATTEMPTS {
        match insert(db, batch, component).await {
            Ok(()) => {
                written(batch.len());
                batch.clear();
                return;
            }
            Err(error) if attempt < ATTEMPTS => {
                tracing::warn!(%error, attempt, lines = batch.len(), "cannot write log lines, retrying");
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(15));
            }
            Err(error) => {
                tracing::warn!(%error, lines = batch.len(), "giving up on log lines");
                dropped("database", batch.len());
                batch.clear();
            }
        }
    }
}

async fn insert(
    db: &DatabaseConnection,
    batch: &[LogRecord],
    component: &'static str,
) -> Result<(), String> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows = batch.iter().map(|record| row(record, component));
    // Without RETURNING: a service's role may insert log lines but not read them back.
    match tokio::time::timeout(
        INSERT_TIMEOUT,
        logs::Entity::insert_many(rows).exec_without_returning(db),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {INSERT_TIMEOUT:?}")),
    }
}

fn written(lines: usize) {
    metrics::counter!("hsi_logs_written_total").increment(lines as u64);
}

fn dropped(reason: &'static str, lines: usize) {
    metrics::counter!("hsi_logs_dropped_total", "reason" => reason).increment(lines as u64);
}

/// The table's level words (the seed schema's, Python's logging names).
fn level_word(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        _ => "DEBUG",
    }
}

/// Cuts `text` to the column's `max` characters.
fn fit(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn row(record: &LogRecord, component: &'static str) -> logs::ActiveModel {
    let mut extra = record.fields.clone();
    extra.insert("target".to_owned(), record.target.clone().into());
    // Keys too large for their integer columns are kept, in `extra`.
    let column = |name: &str, value: Option<i64>, extra: &mut serde_json::Map<_, _>| {
        value.and_then(|v| match i32::try_from(v) {
            Ok(v) => Some(v),
            Err(_) => {
                extra.insert(name.to_owned(), v.into());
                None
            }
        })
    };
    let event_id = column("event_id", record.event_id, &mut extra);
    let detection_id = column("detection_id", record.detection_id, &mut extra);
    let duration_ms = column("duration_ms", record.duration_ms, &mut extra);
    logs::ActiveModel {
        timestamp: Set(DateTime::<Utc>::from(record.at)),
        level: Set(level_word(record.level).to_owned()),
        component: Set(fit(component, 50)),
        message: Set(record.message.clone()),
        camera_id: Set(record.camera_id.as_deref().map(|c| fit(c, 100))),
        event_id: Set(event_id),
        request_id: Set(record.request_id.as_deref().map(|r| fit(r, 36))),
        detection_id: Set(detection_id),
        duration_ms: Set(duration_ms),
        extra: Set(Some(serde_json::Value::Object(extra))),
        source: Set("backend".to_owned()),
        user_agent: Set(None),
        ..Default::default()
    }
}
