//! The delivery outbox: alerts are committed due for delivery, and whoever delivers one
//! first takes a lease on it (`next_attempt_at` moved forward, `FOR UPDATE SKIP LOCKED`),
//! so a replica's deliveries never overlap another's. New alerts are taken at once after
//! their commit; a periodic sweep takes whatever else is due: retries after a back-off,
//! and alerts whose worker died between the commit and the delivery (their lease ran
//! out). Nothing is lost between the database and the receiver, and receivers can drop
//! the repeats that a crash after sending causes by the idempotency key.

use crate::delivery::Deliverer;
use crate::error::AlertError;
use crate::store;
use std::sync::Arc;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;
use uuid::Uuid;

/// Deliveries of one engine.
#[derive(Debug)]
pub(crate) struct Outbox {
    pub deliverer: Arc<Deliverer>,
    pub tracker: TaskTracker,
    permits: Arc<Semaphore>,
    wake: Notify,
}

impl Outbox {
    pub(crate) fn new(deliverer: Deliverer) -> Self {
        let concurrency = deliverer.settings.delivery_concurrency.max(1);
        Self {
            deliverer: Arc::new(deliverer),
            tracker: TaskTracker::new(),
            permits: Arc::new(Semaphore::new(concurrency)),
            wake: Notify::new(),
        }
    }

    /// Takes the alerts due for delivery (only those of `ids` when given), as many as
    /// there are free delivery slots, and starts delivering them; returns how many.
    pub(crate) async fn deliver_due(&self, ids: Option<&[Uuid]>) -> Result<usize, AlertError> {
        let free = self.permits.available_permits();
        if free == 0 {
            // Still due; the sweep after the running deliveries takes them.
            self.wake.notify_one();
            return Ok(0);
        }
        let settings = &self.deliverer.settings;
        let claimed = store::claim_due(
            &self.deliverer.db,
            ids,
            free as u64,
            settings.delivery_lease(),
        )
        .await?;
        let started = claimed.len();
        for alert in claimed {
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                break;
            };
            let deliverer = Arc::clone(&self.deliverer);
            // A child of the alert's span (its context is kept in the alert's metadata).
            let span = tracing::info_span!(
                "delivery",
                alert_id = %alert.id,
                event_id = alert.metadata["payload"]["event_id"].as_i64(),
                camera_id = alert.metadata["payload"]["camera_id"].as_str(),
                revision = alert.revision,
                attempt = alert.attempts + 1,
                outcome = tracing::field::Empty,
            );
            if let Some(traceparent) = alert.metadata["traceparent"].as_str() {
                let tracestate = alert.metadata["tracestate"].as_str().unwrap_or_default();
                hsi_core::otel::set_remote_parent(&span, traceparent, tracestate);
            }
            self.tracker.spawn(
                async move {
                    let _permit = permit;
                    deliverer.attempt(alert).await;
                }
                .instrument(span),
            );
        }
        Ok(started)
    }

    /// Asks the sweep to look again now (new alerts could not all be taken at once).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sweeps every `outbox_poll_ms`, and at once when woken, until `shutdown`.
    pub(crate) async fn run(&self, shutdown: CancellationToken) {
        let poll = self.deliverer.settings.outbox_poll();
        let woken = async {
            loop {
                self.wake.notified().await;
                if let Err(err) = self.deliver_due(None).await {
                    tracing::warn!(error = %err, "outbox sweep failed");
                }
            }
        };
        let periodic = hsi_core::retry::every("outbox sweep", poll, &shutdown, || async {
            self.deliver_due(None).await.map(|started| {
                if started > 0 {
                    tracing::debug!(started, "outbox sweep started deliveries");
                }
            })
        });
        tokio::select! {
            () = periodic => {}
            () = woken => {}
        }
    }
}
