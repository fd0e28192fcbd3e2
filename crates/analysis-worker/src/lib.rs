//! The analysis worker: consumes the batches stream, gathers each batch's context
//! (camera, detections and the zones they were in, baseline deviation, activity on
//! other cameras), scores its evidence (`evidence`), lets an LLM over the OpenAI
//! chat-completions protocol write the summary and move the score within a bound (the
//! evidence alone when no valid answer comes), writes the event with its detection
//! links, its audit and the alerts the user's rules raise in one transaction, delivers
//! the alerts through the outbox, and announces the event on the (trimmed) events
//! stream and a pub/sub channel. A fast-path batch is written and alerted on its
//! evidence first, then judged off the consumer (`judges`), which revises its alerts.

mod alerting;
pub mod analyzer;
pub mod context;
pub mod evidence;
pub mod geometry;
mod grpc;
pub mod judges;
pub mod llm;
pub mod prompt;
pub mod sanitize;
mod settings;
pub mod store;
pub mod vision;

pub use analyzer::Analyzer;
pub use grpc::{serve, AnalysisApi};
pub use settings::{AnalysisSettings, GrpcSettings, LlmSettings, Settings};

use hsi_proto::v1::BatchMessage;
use hsi_queue::{consume, redis_pool, ConsumeOptions, Consumer, Producer, QueueError};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Why the worker could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad setting analysis.timezone: {0}")]
    TimeZone(String),
    #[error("cannot build the llm client: {0}")]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    Alerts(#[from] hsi_alerts::AlertError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
    #[error("start-up was interrupted by shutdown")]
    Interrupted,
}

/// Builds the analyzer the consumer and the gRPC API share.
pub async fn build_analyzer(
    settings: &Settings,
    shutdown: &CancellationToken,
) -> Result<Analyzer, Error> {
    let timezone: chrono_tz::Tz = settings
        .analysis
        .timezone
        .parse()
        .map_err(|_| Error::TimeZone(settings.analysis.timezone.clone()))?;
    let Some(db) = hsi_db::connect_with_retry(&settings.database, shutdown).await else {
        return Err(Error::Interrupted);
    };
    // Warnings and errors also go to the `logs` table (`telemetry.db_log_level`).
    hsi_db::log_writer::spawn(
        db.clone(),
        hsi_core::Service::AnalysisWorker.name(),
        shutdown.clone(),
    );
    let redis = redis_pool(&settings.redis)?;
    let prefix = settings.redis.key_prefix.clone();
    let alerts = hsi_alerts::AlertEngine::new(db.clone(), settings.alerts.clone())?;
    Ok(Analyzer {
        llm: llm::LlmClient::new(settings.llm.clone())?,
        producer: Producer::new(redis.clone(), &prefix, &settings.queue, "analysis-worker"),
        settings: settings.analysis.clone(),
        timezone,
        db,
        redis,
        key_prefix: prefix,
        alerts,
        judges: std::sync::OnceLock::new(),
    })
}

/// Runs the worker until `shutdown`, then finishes the batches in hand and returns.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<(), Error> {
    let analyzer = Arc::new(build_analyzer(&settings, &shutdown).await?);
    // Fast-path judgements run here, off the consumer's slots.
    let judges = analyzer.start_judges(&shutdown);
    let grpc = settings.grpc.listen.map(|addr| {
        tokio::spawn(serve(
            addr,
            AnalysisApi::new(analyzer.clone()),
            settings.grpc.token.expose().to_owned(),
            shutdown.clone(),
        ))
    });
    // Delivers what a crash or a failing receiver left due, for every replica's alerts.
    let outbox = analyzer.alerts.spawn_outbox(shutdown.clone());
    let name = hsi_queue::consumer_name("analysis-worker");
    let consumer = Arc::new(Consumer::<BatchMessage>::new(
        analyzer.redis.clone(),
        &settings.redis.key_prefix,
        &settings.analysis.group,
        &name,
        &settings.queue,
    ));
    tracing::info!(consumer = %name, llm = %settings.llm.base_url, model = %settings.llm.model, "consuming batches");
    let worker = analyzer.clone();
    consume(
        consumer,
        ConsumeOptions {
            concurrency: settings.analysis.concurrency,
            ..ConsumeOptions::default()
        },
        shutdown.clone(),
        move |delivery| {
            let worker = worker.clone();
            async move { worker.handle(delivery).await }
        },
    )
    .await;
    if let Err(err) = outbox.await {
        tracing::warn!(error = %err, "alert outbox ended abnormally");
    }
    let deadline = settings.queue.drain_timeout();
    if !judges.drain_within(deadline).await {
        // Their events stay provisional; the sweep of the next worker judges them.
        tracing::warn!(
            deadline_ms = deadline.as_millis() as u64,
            "judgements still running at the drain deadline"
        );
    }
    if !analyzer.alerts.drain_within(deadline).await {
        // Their leases lapse and another worker (or this one, restarted) delivers them.
        tracing::warn!(
            deadline_ms = deadline.as_millis() as u64,
            "alert deliveries still running at the drain deadline"
        );
    }
    if let Some(grpc) = grpc {
        match grpc.await {
            Ok(result) => result?,
            Err(err) => tracing::warn!(error = %err, "gRPC task ended abnormally"),
        }
    }
    Ok(())
}
