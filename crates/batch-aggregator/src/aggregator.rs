//! Batching end to end: detections in, closed batches published on the batches stream.
//!
//! Crash safety: closing a batch moves it to the closed-not-yet-published set (one Lua
//! script), leased to the replica that closed it; that replica publishes it and only then
//! forgets it. A batch whose publisher died stays in the set until its lease runs out,
//! then any replica's tick claims it (atomically, so only one does) and publishes it
//! again with the same batch id. A crash between publish and forget therefore sends a
//! batch twice at worst, which the analysis worker absorbs (it is idempotent on batch id);
//! nothing is ever lost.

use crate::batches::{reason_label, BatchRules, BatchStore, Ingested};
use crate::settings::Settings;
use crate::Error;
use hsi_core::Service;
use hsi_proto::v1::{BatchMessage, DetectionsMessage};
use hsi_queue::{Producer, QueueError, RedisPool};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tracing::Instrument;

/// The batching core of one replica; all state is shared through Redis.
#[derive(Debug, Clone)]
pub struct Aggregator {
    store: BatchStore,
    producer: Producer<BatchMessage>,
    /// Set while the batches stream refuses new batches, so intake can pause.
    downstream_full: Arc<AtomicBool>,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Batches closed because their window or idle time ran out.
    pub closed: usize,
    /// Batches published (just closed, or left unpublished by a replica that died).
    pub published: usize,
    /// Batches still open.
    pub open: u64,
}

impl Aggregator {
    /// An aggregator on `pool` under the settings' Redis prefix.
    pub fn new(pool: RedisPool, settings: &Settings) -> Self {
        let prefix = &settings.redis.key_prefix;
        Self {
            store: BatchStore::new(pool.clone(), prefix, BatchRules::from(settings)),
            producer: Producer::new(
                pool,
                prefix,
                &settings.queue,
                Service::BatchAggregator.name(),
            ),
            downstream_full: Arc::default(),
        }
    }

    /// True while the batches stream is full (the last publish was refused).
    pub fn downstream_full(&self) -> bool {
        self.downstream_full.load(Ordering::Relaxed)
    }

    /// The Redis state (to drive single steps, as tests of a crash do).
    pub fn store(&self) -> &BatchStore {
        &self.store
    }

    /// Adds one detections message at `now_ms` and publishes what that closed (a fast
    /// path batch, a full one). A failed publish is left to the sweep of unpublished
    /// batches, so the message counts as handled once its detections are in Redis.
    pub async fn handle(
        &self,
        message: &DetectionsMessage,
        now_ms: i64,
    ) -> Result<Ingested, Error> {
        let ingested = self.ingest(message, now_ms).await?;
        if ingested.added < message.detections.len() {
            tracing::info!(
                camera = %message.camera_id,
                skipped = message.detections.len() - ingested.added,
                "detections already batched, skipping them"
            );
        }
        Ok(ingested)
    }

    /// [`Aggregator::handle`] without the note about detections batched before: the
    /// recovery sweep offers every unjudged detection, and most are still in a batch.
    pub async fn ingest(
        &self,
        message: &DetectionsMessage,
        now_ms: i64,
    ) -> Result<Ingested, Error> {
        let ingested = self.store.ingest(message, now_ms).await?;
        if let Err(err) = self.publish(&ingested.closed).await {
            tracing::warn!(error = %err, "publishing batches failed, they will be swept up later");
        }
        Ok(ingested)
    }

    /// Closes the batches due at `now_ms`, publishes them, then publishes any closed
    /// batch left unpublished past its lease.
    pub async fn tick(&self, now_ms: i64) -> Result<TickReport, Error> {
        let (closed, open) = self.store.close_due(now_ms).await?;
        metrics::gauge!("hsi_open_batches").set(open as f64);
        let mut report = TickReport {
            closed: closed.len(),
            published: self.publish(&closed).await?,
            open,
        };
        loop {
            let claimed = self.store.claim_unpublished(now_ms).await?;
            if claimed.is_empty() {
                break;
            }
            tracing::info!(
                batches = claimed.len(),
                "publishing batches left unpublished"
            );
            report.published += self.publish(&claimed).await?;
        }
        Ok(report)
    }

    /// Publishes closed batches by id and forgets each once it is on the stream; returns
    /// how many were published. Stops at the first failure: the rest keep their lease
    /// and are claimed again when it runs out.
    pub async fn publish(&self, ids: &[String]) -> Result<usize, Error> {
        let mut published = 0;
        for id in ids {
            let batch = match self.store.load(id).await {
                Ok(Some(batch)) => batch,
                // Published and forgotten by another replica meanwhile.
                Ok(None) => continue,
                Err(err @ Error::Malformed { .. }) => {
                    // Unpublishable for ever; keeping it would block the batches after it.
                    tracing::error!(batch_id = %id, error = %err, "dropping a malformed batch");
                    self.store.finish(id).await?;
                    continue;
                }
                Err(err) => return Err(err),
            };
            // A child of the detection span that opened the batch (its stored trace);
            // the batch message carries this span's context on to the analysis worker.
            let span = tracing::info_span!(
                "batch",
                batch_id = %id,
                camera_id = %batch.camera_id,
                reason = reason_label(batch.reason),
                detections = batch.detection_ids.len(),
                fast_path = batch.fast_path,
                outcome = tracing::field::Empty,
            );
            let span = hsi_queue::trace::span_with_parent(span, batch.trace.as_ref());
            let sent = async { self.producer.publish(batch.to_message()).await }
                .instrument(span.clone())
                .await;
            span.record(
                "outcome",
                match &sent {
                    Ok(_) => "published",
                    Err(QueueError::Backpressure { .. }) => "backpressure",
                    Err(_) => "failed",
                },
            );
            self.downstream_full.store(
                matches!(sent, Err(QueueError::Backpressure { .. })),
                Ordering::Relaxed,
            );
            sent?;
            published += 1;
            if self.store.finish(id).await? {
                let reason = reason_label(batch.reason);
                metrics::counter!("hsi_batches_closed_total", "reason" => reason).increment(1);
                metrics::histogram!("hsi_batch_size").record(batch.detection_ids.len() as f64);
                // The batch opened when its first detections arrived (`started_ms`).
                hsi_core::pipeline_metrics::observe_stage(
                    hsi_core::pipeline_metrics::Stage::Batched,
                    batch.started_at_ms,
                    hsi_core::pipeline_metrics::now_ms(),
                );
                tracing::info!(batch_id = %id, camera = %batch.camera_id, reason,
                    detections = batch.detection_ids.len(), "batch published");
            }
        }
        Ok(published)
    }
}
