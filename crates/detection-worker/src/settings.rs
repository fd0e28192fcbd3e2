//! The detection worker's settings.

use hsi_core::metrics_export::MetricsSettings;
use hsi_core::settings::{
    validate_internal_grpc, DatabaseSettings, RedisSettings, Secret, SecretUrl, SettingsError,
    Validate,
};
use hsi_core::telemetry::TelemetrySettings;
use hsi_detector::DetectorSettings;
use hsi_queue::QueueSettings;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything the detection worker reads at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub queue: QueueSettings,
    pub telemetry: TelemetrySettings,
    pub metrics: MetricsSettings,
    pub detector: DetectorSettings,
    pub worker: WorkerSettings,
    pub grpc: GrpcSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings {
                url: SecretUrl::new("postgres://hsi_detection_worker@127.0.0.1:5432/hsi"),
                ..DatabaseSettings::default()
            },
            redis: RedisSettings::default(),
            queue: QueueSettings::default(),
            telemetry: TelemetrySettings::default(),
            metrics: MetricsSettings::default(),
            detector: DetectorSettings::default(),
            worker: WorkerSettings::default(),
            grpc: GrpcSettings::default(),
        }
    }
}

/// How files are consumed and turned into frames.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Consumer group every replica joins.
    pub group: String,
    /// Files worked on at once; 0 chooses (twice the CUDA batch, or 2 on the CPU).
    pub concurrency: usize,
    /// Where cropped thumbnails of detections are written.
    pub thumbnails_dir: PathBuf,
    /// Longest side of a thumbnail in pixels.
    pub thumbnail_size: u32,
    /// One video frame is sampled every this many seconds ...
    pub video_frame_interval_secs: f64,
    /// ... up to this many frames per clip.
    pub video_max_frames: usize,
    pub ffmpeg: String,
    pub ffprobe: String,
    /// Longest ffmpeg or ffprobe may run on one file.
    pub media_timeout_secs: u64,
    /// Images above this many pixels are refused (decompression bombs).
    pub max_image_pixels: u64,
    /// How often GPU figures are recorded while on CUDA; 0 turns it off.
    pub gpu_stats_interval_secs: u64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            group: "detection-worker".to_owned(),
            concurrency: 0,
            thumbnails_dir: PathBuf::from("/var/lib/hsi/thumbnails"),
            thumbnail_size: 256,
            video_frame_interval_secs: 2.0,
            video_max_frames: 10,
            ffmpeg: "ffmpeg".to_owned(),
            ffprobe: "ffprobe".to_owned(),
            media_timeout_secs: 60,
            max_image_pixels: 100_000_000,
            gpu_stats_interval_secs: 30,
        }
    }
}

/// The gRPC API (Detect, model information, health).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcSettings {
    /// Unset turns the API off. Loopback by default; any other address needs `token`.
    pub listen: Option<SocketAddr>,
    /// The shared token callers must present (`authorization: Bearer <token>`).
    pub token: Secret,
    /// Largest image accepted by Detect, in bytes ...
    pub max_image_bytes: usize,
    /// ... and in pixels (width times height, read from the header before decoding).
    pub max_image_pixels: u64,
}

impl Default for GrpcSettings {
    fn default() -> Self {
        Self {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 50061))),
            token: Secret::default(),
            max_image_bytes: 32 * 1024 * 1024,
            max_image_pixels: 40_000_000,
        }
    }
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.database.validate("database")?;
        self.redis.validate("redis")?;
        self.queue.validate("queue")?;
        self.detector.validate("detector")?;
        let worker = &self.worker;
        if worker.group.trim().is_empty() {
            return Err(SettingsError::invalid("worker.group", "must not be empty"));
        }
        if !(worker.video_frame_interval_secs.is_finite() && worker.video_frame_interval_secs > 0.0)
        {
            return Err(SettingsError::invalid(
                "worker.video_frame_interval_secs",
                format!(
                    "{} is not a positive number of seconds",
                    worker.video_frame_interval_secs
                ),
            ));
        }
        validate_internal_grpc("grpc", self.grpc.listen, &self.grpc.token)?;
        for (key, value) in [
            ("worker.video_max_frames", worker.video_max_frames as u64),
            ("worker.thumbnail_size", u64::from(worker.thumbnail_size)),
            ("worker.media_timeout_secs", worker.media_timeout_secs),
            ("worker.max_image_pixels", worker.max_image_pixels),
            ("grpc.max_image_bytes", self.grpc.max_image_bytes as u64),
            ("grpc.max_image_pixels", self.grpc.max_image_pixels),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(key, "must be at least 1"));
            }
        }
        Ok(())
    }
}

hsi_core::impl_service_settings!(Settings);
