//! The batch aggregator: consumes the detections stream (any number of replicas share
//! one consumer group and one Redis state), groups each camera's detections into
//! batches that close on a window, on idleness or on size, sends high-confidence
//! detections of watched classes at once as fast-path batches, publishes every closed
//! batch on the batches stream for the analysis worker, and learns per-camera activity
//! baselines in PostgreSQL from hourly detection counts.
//!
//! - [`batches`]: the Redis state and its atomic steps (Lua scripts, [`keys`]);
//! - [`aggregator`]: ingest, close, publish, and the crash-safe publishing protocol;
//! - [`rollup`] and [`baselines`]: hourly counts folded into the baseline tables;
//! - [`recovery`]: detections in no event, whose batch was lost, batched again;
//! - `tasks`: the loops [`run`] starts.

pub mod aggregator;
pub mod baselines;
pub mod batches;
pub mod clock;
mod error;
pub mod keys;
pub mod recovery;
pub mod rollup;
mod scripts;
mod settings;
mod tasks;

pub use aggregator::{Aggregator, TickReport};
pub use batches::{BatchRules, BatchStore, ClosedBatch, Ingested};
pub use clock::Clock;
pub use error::Error;
pub use recovery::{RecoveryReport, RecoveryWindow};
pub use rollup::{Rollup, RollupReport};
pub use settings::{
    BaselineSettings, BatchingSettings, FastPathSettings, RecoverySettings, Settings,
};

use hsi_core::Service;
use hsi_proto::v1::DetectionsMessage;
use hsi_queue::{consume, consumer_name, redis_pool, ConsumeOptions, Consumer};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Runs the aggregator until `shutdown`, then finishes the messages in hand and returns.
/// Open batches stay in Redis for the other replicas, or for the next start, to close.
/// PostgreSQL being down delays only the baselines and the recovery sweep; Redis being
/// down delays everything, and what Redis loses the sweep batches again.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<(), Error> {
    let pool = redis_pool(&settings.redis)?;
    let prefix = &settings.redis.key_prefix;
    let clock = Clock::system();
    let aggregator = Aggregator::new(pool.clone(), &settings);
    let name = consumer_name(Service::BatchAggregator.name());
    let consumer = Arc::new(Consumer::<DetectionsMessage>::new(
        pool.clone(),
        prefix,
        &settings.batching.group,
        &name,
        &settings.queue,
    ));
    tracing::info!(consumer = %name, window_secs = settings.batching.window_secs,
        idle_secs = settings.batching.idle_secs, max_detections = settings.batching.max_detections,
        "consuming detections");

    // The first tick runs at once, publishing anything a previous run left unpublished.
    let ticker = tokio::spawn(tasks::tick_loop(
        aggregator.clone(),
        clock,
        settings.batching.tick_ms,
        shutdown.clone(),
    ));
    let database = tokio::spawn(tasks::database_loops(
        pool,
        aggregator.clone(),
        settings.clone(),
        clock,
        shutdown.clone(),
    ));
    let options = ConsumeOptions {
        concurrency: settings.batching.concurrency,
        ..ConsumeOptions::default()
    };
    consume(consumer, options, shutdown.clone(), move |delivery| {
        let aggregator = aggregator.clone();
        async move { tasks::handle_delivery(&aggregator, delivery, clock).await }
    })
    .await;

    for (task, handle) in [("ticker", ticker), ("roll-up and recovery", database)] {
        if let Err(err) = handle.await {
            tracing::warn!(task, error = %err, "task ended abnormally");
        }
    }
    Ok(())
}
