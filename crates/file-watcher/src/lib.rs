//! The file-watcher service: notices complete uploads in the camera folders, validates
//! them, registers cameras, records every file it looks at in the file ledger
//! (`media_files`: accepted, duplicate, or refused with its reason) and publishes one
//! `FileMessage` per accepted file on the files stream.
//!
//! Flow: `watch` (notify events and scans → signals) → `scheduler`/`schedule`
//! (debounce, size stability, one run per path at a time) → `pipeline` (the `ledger`,
//! `validate`, ffprobe, `cameras`, publishing with retry). `recovery` re-enqueues
//! accepted files that never reached the detection worker.

mod cameras;
pub mod ledger;
mod names;
mod pipeline;
pub mod recovery;
mod refusal;
mod schedule;
mod scheduler;
mod settings;
mod validate;
mod watch;

pub use refusal::Refusal;
pub use settings::{Settings, WatchMode, WatcherSettings};

use hsi_core::Service;
use hsi_queue::{Producer, QueueError};
use pipeline::Pipeline;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("watcher.root {path:?} cannot be used: {source}")]
    Root {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot watch watcher.root {path:?}: {source}")]
    Watch {
        path: PathBuf,
        #[source]
        source: notify::Error,
    },
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Runs the file-watcher until `shutdown` is cancelled, then stops watching, lets the
/// files in flight finish and returns. PostgreSQL or Redis being down delays work but
/// does not end it.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<(), Error> {
    let root = settings.watcher.root.clone();
    let canonical_root = canonical_root(&root)?;
    let redis = hsi_queue::redis_pool(&settings.redis)?;
    let Some(db) = hsi_db::connect_with_retry(&settings.database, &shutdown).await else {
        return Ok(());
    };
    // Warnings and errors also go to the `logs` table (`telemetry.db_log_level`).
    hsi_db::log_writer::spawn(db.clone(), Service::FileWatcher.name(), shutdown.clone());
    let pipeline = Arc::new(Pipeline {
        settings: settings.watcher.clone(),
        root: root.clone(),
        canonical_root,
        db: db.clone(),
        producer: Producer::new(
            redis.clone(),
            &settings.redis.key_prefix,
            &settings.queue,
            Service::FileWatcher.name(),
        ),
        shutdown: shutdown.clone(),
    });
    let recovery = tokio::spawn(recovery::run(pipeline.clone(), shutdown.clone()));

    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let watcher =
        watch::start(&settings.watcher, sender.clone()).map_err(|source| Error::Watch {
            path: root.clone(),
            source,
        })?;
    tracing::info!(root = %root.to_string_lossy(), mode = ?settings.watcher.mode, "watching the camera folders");
    if settings.watcher.catch_up {
        // After the watch is in place, so nothing falls between the scan and the events.
        tracing::info!("catching up on files that arrived while the service was stopped");
        let _ = sender.send(watch::Signal::Rescan);
    }

    let in_flight = scheduler::Scheduler::new(pipeline, sender)
        .run(receiver, shutdown)
        .await;
    drop(watcher);
    tracing::info!("stopped watching; finishing the files in flight");
    let deadline = settings.queue.drain_timeout();
    if tokio::time::timeout(deadline, in_flight.wait())
        .await
        .is_err()
    {
        // What is cut short here is either undecided (the next scan looks at it again)
        // or accepted and not yet enqueued (the recovery sweep enqueues it).
        tracing::warn!(
            deadline_ms = deadline.as_millis() as u64,
            "drain deadline passed with files still in flight"
        );
    }
    if let Err(err) = recovery.await {
        tracing::warn!(error = %err, "recovery sweep ended abnormally");
    }
    if let Err(err) = db.close().await {
        tracing::debug!(error = %err, "closing the database pool");
    }
    Ok(())
}

fn canonical_root(root: &std::path::Path) -> Result<PathBuf, Error> {
    let root_error = |source| Error::Root {
        path: root.to_path_buf(),
        source,
    };
    let canonical = std::fs::canonicalize(root).map_err(root_error)?;
    if !canonical.is_dir() {
        return Err(root_error(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            "not a directory",
        )));
    }
    Ok(canonical)
}
