//! The loops of a running aggregator: handling deliveries, ticking, rolling up.

use crate::{recovery, Aggregator, Clock, Rollup, Settings};
use hsi_proto::v1::DetectionsMessage;
use hsi_queue::{Delivery, HandlerError, RedisPool};
use sea_orm::DatabaseConnection;
use std::time::Duration;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Handles one delivery from the detections stream.
pub(crate) async fn handle_delivery(
    aggregator: &Aggregator,
    delivery: Delivery<DetectionsMessage>,
    clock: Clock,
) -> Result<(), HandlerError> {
    let message = delivery.message;
    if message.camera_id.trim().is_empty() && !message.detections.is_empty() {
        return Err(HandlerError::Permanent(
            "detections message has no camera_id".to_owned(),
        ));
    }
    let message_id = message
        .meta
        .as_ref()
        .map(|m| m.message_id.as_str())
        .unwrap_or_default();
    let span = tracing::info_span!("detections", camera_id = %message.camera_id, %message_id);
    let span = hsi_queue::trace::span_with_parent(
        span,
        message.meta.as_ref().and_then(|m| m.trace.as_ref()),
    );
    let handled = aggregator
        .handle(&message, clock.now_ms())
        .instrument(span)
        .await;
    match handled {
        // The detections are batched; the batches stream is full, so stop taking more
        // for a while (the redelivered message adds nothing).
        Ok(_) if aggregator.downstream_full() => Err(HandlerError::Backpressure(
            "the batches stream is full".to_owned(),
        )),
        Ok(ingested) => {
            tracing::debug!(
                added = ingested.added,
                closed = ingested.closed.len(),
                "detections batched"
            );
            Ok(())
        }
        Err(err) => Err(HandlerError::Retry(format!(
            "batching detections failed: {err}"
        ))),
    }
}

/// Closes due batches and publishes unpublished ones every `tick_ms` until shutdown.
pub(crate) async fn tick_loop(
    aggregator: Aggregator,
    clock: Clock,
    tick_ms: u64,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(Duration::from_millis(tick_ms.max(1)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match aggregator.tick(clock.now_ms()).await {
            Ok(report) if report.closed + report.published > 0 => {
                tracing::debug!(
                    closed = report.closed,
                    published = report.published,
                    open = report.open,
                    "tick"
                );
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = %err, "closing due batches failed, retrying next tick")
            }
        }
    }
}

/// Connects to PostgreSQL (waiting for it), then runs the baseline roll-up and the
/// recovery sweep until shutdown.
pub(crate) async fn database_loops(
    pool: RedisPool,
    aggregator: Aggregator,
    settings: Settings,
    clock: Clock,
    shutdown: CancellationToken,
) {
    let Some(db) = hsi_db::connect_with_retry(&settings.database, &shutdown).await else {
        return;
    };
    // Warnings and errors also go to the `logs` table (`telemetry.db_log_level`).
    hsi_db::log_writer::spawn(
        db.clone(),
        hsi_core::Service::BatchAggregator.name(),
        shutdown.clone(),
    );
    tokio::join!(
        rollup_loop(pool, db.clone(), &settings, clock, &shutdown),
        recovery_loop(db.clone(), aggregator, &settings, clock, &shutdown),
    );
    if let Err(err) = db.close().await {
        tracing::debug!(error = %err, "closing the database pool");
    }
}

/// Batches again, every `recovery.interval_secs`, the detections whose batch was lost.
async fn recovery_loop(
    db: DatabaseConnection,
    aggregator: Aggregator,
    settings: &Settings,
    clock: Clock,
    shutdown: &CancellationToken,
) {
    let window = settings.recovery.window();
    let mut ticker =
        tokio::time::interval(Duration::from_secs(settings.recovery.interval_secs.max(1)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match recovery::sweep(&db, &aggregator, window, clock.now_ms()).await {
            Ok(report) if report.rebatched > 0 => {
                metrics::counter!("hsi_detections_rebatched_total")
                    .increment(report.rebatched as u64);
                tracing::warn!(
                    unjudged = report.unjudged,
                    rebatched = report.rebatched,
                    closed = report.closed,
                    "detections whose batch was lost were batched again"
                );
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "recovery sweep failed, retrying later"),
        }
    }
}

/// Folds ended hours into the baselines every `baseline.rollup_secs` until shutdown.
async fn rollup_loop(
    pool: RedisPool,
    db: DatabaseConnection,
    settings: &Settings,
    clock: Clock,
    shutdown: &CancellationToken,
) {
    let rollup = Rollup::new(
        pool,
        &settings.redis.key_prefix,
        db,
        settings.baseline.grace_secs,
    );
    let mut ticker =
        tokio::time::interval(Duration::from_secs(settings.baseline.rollup_secs.max(1)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => {}
        }
        match rollup.run_once(clock.now_ms()).await {
            Ok(report) if report.buckets > 0 => tracing::info!(
                buckets = report.buckets,
                activity_slots = report.activity_slots,
                class_slots = report.class_slots,
                dropped = report.dropped,
                "hourly counts folded into the baselines"
            ),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "baseline roll-up failed, retrying later"),
        }
    }
}
