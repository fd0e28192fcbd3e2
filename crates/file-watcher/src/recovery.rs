//! The recovery sweep: at start and then periodically, every accepted file that the
//! detection worker has not finished is checked against the files stream. A file whose
//! message is still on the stream is on its way; one whose message is gone (Redis was
//! flushed or restarted empty, the message was dead-lettered, or the watcher died before
//! publishing) is enqueued again, with the same message id, so losing Redis only delays
//! work. A file enqueued `max_enqueues` times without being processed is abandoned, with
//! its reason, rather than retried for ever.

use crate::ledger::{self, AcceptedFile};
use crate::pipeline::Pipeline;
use sea_orm::DbErr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Files looked at per query.
const PAGE: u64 = 500;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Unfinished files looked at.
    pub checked: usize,
    /// Still on the stream: nothing to do.
    pub in_flight: usize,
    /// Enqueued again.
    pub requeued: usize,
    /// Given up on.
    pub abandoned: usize,
}

/// Why a sweep stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("reading the ledger: {0}")]
    Database(#[from] DbErr),
    #[error("reading the files stream: {0}")]
    Queue(#[from] hsi_queue::QueueError),
}

/// Runs the sweep at once and then every `recovery_interval_secs` until `shutdown`.
pub async fn run(pipeline: Arc<Pipeline>, shutdown: CancellationToken) {
    let period = Duration::from_secs(pipeline.settings.recovery_interval_secs);
    hsi_core::retry::every("recovery sweep", period, &shutdown, || async {
        let report = sweep(&pipeline).await?;
        if report.requeued + report.abandoned > 0 {
            tracing::info!(
                checked = report.checked,
                in_flight = report.in_flight,
                requeued = report.requeued,
                abandoned = report.abandoned,
                "recovery sweep re-enqueued unfinished files"
            );
        }
        Ok::<(), SweepError>(())
    })
    .await;
}

/// One pass over the unfinished files.
pub async fn sweep(pipeline: &Pipeline) -> Result<SweepReport, SweepError> {
    let settings = &pipeline.settings;
    let grace = Duration::from_secs(settings.recovery_grace_secs);
    let horizon = Duration::from_secs(settings.recovery_horizon_hours.saturating_mul(3600));
    let mut report = SweepReport::default();
    let mut after = 0;
    loop {
        let page = ledger::unfinished(&pipeline.db, grace, horizon, after, PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(report);
        };
        after = last.id;
        report.checked += page.len();
        let entries: Vec<String> = page
            .iter()
            .map(|file| file.stream_entry.clone().unwrap_or_default())
            .collect();
        let queued = still_queued(pipeline, &entries).await?;
        for (file, queued) in page.iter().zip(queued) {
            if pipeline.shutdown.is_cancelled() {
                return Ok(report);
            }
            if queued {
                report.in_flight += 1;
            } else if file.enqueue_count >= settings.max_enqueues as i32 {
                abandon(pipeline, file).await?;
                report.abandoned += 1;
            } else {
                metrics::counter!("hsi_files_requeued_total").increment(1);
                tracing::warn!(path = %file.path, camera = %file.camera_id, ledger_id = file.id,
                    enqueued = file.enqueue_count, "accepted file is neither processed nor on the files stream, enqueueing it again");
                if pipeline.publish(file).await {
                    report.requeued += 1;
                }
            }
        }
        if (page.len() as u64) < PAGE {
            return Ok(report);
        }
    }
}

/// Which of the entries are still on the stream; a file never enqueued has no entry.
async fn still_queued(pipeline: &Pipeline, entries: &[String]) -> Result<Vec<bool>, SweepError> {
    let named: Vec<String> = entries.iter().filter(|e| !e.is_empty()).cloned().collect();
    let mut found = pipeline.producer.still_queued(&named).await?.into_iter();
    Ok(entries
        .iter()
        .map(|entry| !entry.is_empty() && found.next().unwrap_or(false))
        .collect())
}

async fn abandon(pipeline: &Pipeline, file: &AcceptedFile) -> Result<(), DbErr> {
    let detail = format!(
        "enqueued {} times and never processed; see the dead letters of the files stream",
        file.enqueue_count
    );
    metrics::counter!("hsi_files_abandoned_total").increment(1);
    tracing::error!(path = %file.path, camera = %file.camera_id, ledger_id = file.id, %detail, "giving up on a file");
    ledger::abandon(&pipeline.db, file.id, &detail).await
}
