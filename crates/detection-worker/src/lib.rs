//! The detection worker: consumes the files stream (any number of replicas share one
//! consumer group), runs each image or sampled video frame through the libtorch
//! detector, records one `detections` row per kept object with a thumbnail, and publishes
//! one message per file to the detections stream. It also answers gRPC detection
//! requests from the gateway.

pub mod gpu_stats;
mod grpc;
pub mod media;
pub mod pipeline;
mod settings;
pub mod store;
pub mod thumbnails;

pub use grpc::{serve, DetectorApi};
pub use pipeline::Pipeline;
pub use settings::{GrpcSettings, Settings, WorkerSettings};

use hsi_detector::{Detector, DetectorError, DetectorHandle};
use hsi_proto::v1::{DetectionsMessage, FileMessage};
use hsi_queue::{consume, redis_pool, ConsumeOptions, Consumer, Producer, QueueError};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Why the worker could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Detector(#[from] DetectorError),
    #[error("cannot start the detector thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("database unavailable: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
    #[error("start-up was interrupted by shutdown")]
    Interrupted,
}

/// Runs the worker until `shutdown`, then finishes the files in hand and returns.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<(), Error> {
    let detector_settings = settings.detector.clone();
    let detector = tokio::task::spawn_blocking(move || Detector::load(&detector_settings))
        .await
        .map_err(|err| Error::Thread(std::io::Error::other(err)))??;
    let detector = DetectorHandle::start(detector).map_err(Error::Thread)?;
    let Some(db) = hsi_db::connect_with_retry(&settings.database, &shutdown).await else {
        return Err(Error::Interrupted);
    };
    // Warnings and errors also go to the `logs` table (`telemetry.db_log_level`).
    hsi_db::log_writer::spawn(
        db.clone(),
        hsi_core::Service::DetectionWorker.name(),
        shutdown.clone(),
    );
    let pool = redis_pool(&settings.redis)?;
    let prefix = &settings.redis.key_prefix;
    let producer: Producer<DetectionsMessage> =
        Producer::new(pool.clone(), prefix, &settings.queue, "detection-worker");
    let name = hsi_queue::consumer_name("detection-worker");
    let consumer = Arc::new(Consumer::<FileMessage>::new(
        pool,
        prefix,
        &settings.worker.group,
        &name,
        &settings.queue,
    ));

    let grpc = settings.grpc.listen.map(|addr| {
        let api = DetectorApi::new(detector.clone(), &settings.grpc);
        let grpc_settings = settings.grpc.clone();
        let stop = shutdown.clone();
        tokio::spawn(async move { serve(addr, api, &grpc_settings, stop).await })
    });

    let gpu = match (
        detector.description().device.strip_prefix("cuda:"),
        settings.worker.gpu_stats_interval_secs,
    ) {
        (Some(index), secs) if secs > 0 => {
            let index = index.parse().unwrap_or(0);
            let counter = detector.clone();
            gpu_stats::spawn_sampler(
                db.clone(),
                index,
                std::time::Duration::from_secs(secs),
                Arc::new(move || counter.images_processed()),
                shutdown.clone(),
            )
        }
        _ => None,
    };

    let concurrency = match settings.worker.concurrency {
        0 => (2 * detector.description().max_batch_size).max(2),
        n => n,
    };
    tracing::info!(consumer = %name, concurrency, device = %detector.description().device, "consuming files");
    let pipeline = Arc::new(Pipeline {
        db,
        detector,
        producer,
        settings: Arc::new(settings.worker.clone()),
    });
    consume(
        consumer,
        ConsumeOptions {
            concurrency,
            ..ConsumeOptions::default()
        },
        shutdown.clone(),
        move |delivery| {
            let pipeline = pipeline.clone();
            async move { pipeline.handle(delivery).await }
        },
    )
    .await;

    if let Some(gpu) = gpu {
        let _ = gpu.await;
    }
    if let Some(grpc) = grpc {
        match grpc.await {
            Ok(result) => result?,
            Err(err) => tracing::warn!(error = %err, "gRPC task ended abnormally"),
        }
    }
    Ok(())
}
