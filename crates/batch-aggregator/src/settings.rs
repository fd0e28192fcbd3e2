//! The batch aggregator's settings: the shared sections plus `batching`, `fast_path`
//! and `baseline`.

use hsi_core::metrics_export::MetricsSettings;
use hsi_core::settings::{
    comma_list, DatabaseSettings, RedisSettings, SecretUrl, SettingsError, Validate,
};
use hsi_core::telemetry::TelemetrySettings;
use hsi_queue::QueueSettings;
use serde::{Deserialize, Serialize};

/// Everything the batch aggregator reads at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub queue: QueueSettings,
    pub telemetry: TelemetrySettings,
    pub metrics: MetricsSettings,
    pub batching: BatchingSettings,
    pub fast_path: FastPathSettings,
    pub baseline: BaselineSettings,
    pub recovery: RecoverySettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings {
                url: SecretUrl::new("postgres://hsi_batch_aggregator@127.0.0.1:5432/hsi"),
                ..DatabaseSettings::default()
            },
            redis: RedisSettings::default(),
            queue: QueueSettings::default(),
            telemetry: TelemetrySettings::default(),
            metrics: MetricsSettings::default(),
            batching: BatchingSettings::default(),
            fast_path: FastPathSettings::default(),
            baseline: BaselineSettings::default(),
            recovery: RecoverySettings::default(),
        }
    }
}

/// When a camera's batch closes, and how the detections stream is consumed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchingSettings {
    /// Consumer group every replica joins on the detections stream.
    pub group: String,
    /// Detections messages handled at once.
    pub concurrency: usize,
    /// A batch closes this long after its first detection (reason WINDOW).
    pub window_secs: u64,
    /// A batch closes when no detection joined for this long (reason IDLE).
    pub idle_secs: u64,
    /// A batch closes as soon as it holds this many detections (reason SIZE).
    pub max_detections: u32,
    /// How often due batches are closed and unpublished ones swept up.
    pub tick_ms: u64,
    /// A closed batch is left to the replica that closed (or claimed) it this long
    /// before another may publish it; longer than a publish can take.
    pub publish_lease_secs: u64,
    /// How long detection ids are remembered so a redelivered message adds nothing;
    /// longer than a window, and than the stream's redelivery horizon.
    pub dedup_ttl_secs: u64,
}

impl Default for BatchingSettings {
    fn default() -> Self {
        Self {
            group: "batch-aggregator".to_owned(),
            concurrency: 8,
            window_secs: 90,
            idle_secs: 30,
            max_detections: 500,
            tick_ms: 1000,
            publish_lease_secs: 30,
            dedup_ttl_secs: 24 * 3600,
        }
    }
}

/// Detections sent at once, each as its own batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FastPathSettings {
    /// Lowest confidence that takes the fast path. Unset: the detector model's own
    /// (its profile's, sent with the detections), else 0.90. Scores are not comparable
    /// across models, so a set value applies to whatever model is running.
    pub min_confidence: Option<f32>,
    /// Classes that take the fast path; empty turns it off.
    #[serde(deserialize_with = "comma_list")]
    pub classes: Vec<String>,
    /// A camera sends at most one fast-path batch per this many seconds.
    pub cooldown_secs: u64,
}

impl Default for FastPathSettings {
    fn default() -> Self {
        Self {
            min_confidence: None,
            classes: vec!["person".to_owned()],
            cooldown_secs: 60,
        }
    }
}

/// Folding the hourly detection counts into the baseline tables.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineSettings {
    /// How often ended hours are folded into PostgreSQL.
    pub rollup_secs: u64,
    /// An hour is folded this long after it ends, so late detections still count.
    pub grace_secs: u64,
}

impl Default for BaselineSettings {
    fn default() -> Self {
        Self {
            rollup_secs: 60,
            grace_secs: 120,
        }
    }
}

/// Batching again the detections whose batch was lost (see `recovery`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecoverySettings {
    /// How often detections in no event are looked for.
    pub interval_secs: u64,
    /// A processed file's detections are left alone this long before they count as lost.
    pub grace_secs: u64,
    /// Detections of files processed longer ago than this are not looked for any more;
    /// at most `batching.dedup_ttl_secs`, so nothing still in a batch is batched again.
    pub horizon_hours: u64,
}

impl Default for RecoverySettings {
    fn default() -> Self {
        Self {
            interval_secs: 30,
            grace_secs: 120,
            horizon_hours: 24,
        }
    }
}

impl RecoverySettings {
    /// The window the sweep looks in.
    pub fn window(&self) -> crate::recovery::RecoveryWindow {
        crate::recovery::RecoveryWindow {
            grace: std::time::Duration::from_secs(self.grace_secs),
            horizon: std::time::Duration::from_secs(self.horizon_hours.saturating_mul(3600)),
        }
    }

    fn validate(&self, batching: &BatchingSettings) -> Result<(), SettingsError> {
        for (key, value) in [
            ("recovery.interval_secs", self.interval_secs),
            ("recovery.grace_secs", self.grace_secs),
            ("recovery.horizon_hours", self.horizon_hours),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(key, "must be at least 1"));
            }
        }
        if self.horizon_hours.saturating_mul(3600) > batching.dedup_ttl_secs {
            return Err(SettingsError::invalid(
                "recovery.horizon_hours",
                format!(
                    "{} hours is longer than batching.dedup_ttl_secs ({} s)",
                    self.horizon_hours, batching.dedup_ttl_secs
                ),
            ));
        }
        Ok(())
    }
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.database.validate("database")?;
        self.redis.validate("redis")?;
        self.queue.validate("queue")?;
        self.batching.validate()?;
        self.fast_path.validate()?;
        self.recovery.validate(&self.batching)?;
        if self.baseline.rollup_secs == 0 {
            return Err(SettingsError::invalid(
                "baseline.rollup_secs",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

impl BatchingSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if self.group.trim().is_empty() {
            return Err(SettingsError::invalid(
                "batching.group",
                "must not be empty",
            ));
        }
        for (key, value) in [
            ("batching.concurrency", self.concurrency as u64),
            ("batching.window_secs", self.window_secs),
            ("batching.idle_secs", self.idle_secs),
            ("batching.max_detections", u64::from(self.max_detections)),
            ("batching.publish_lease_secs", self.publish_lease_secs),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(key, "must be at least 1"));
            }
        }
        if !(10..=60_000).contains(&self.tick_ms) {
            return Err(SettingsError::invalid(
                "batching.tick_ms",
                format!("{} is outside 10..=60000", self.tick_ms),
            ));
        }
        if self.dedup_ttl_secs <= self.window_secs {
            return Err(SettingsError::invalid(
                "batching.dedup_ttl_secs",
                format!(
                    "{} must be longer than batching.window_secs ({})",
                    self.dedup_ttl_secs, self.window_secs
                ),
            ));
        }
        Ok(())
    }
}

impl FastPathSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        if let Some(min) = self.min_confidence {
            if !(min.is_finite() && (0.0..=1.0).contains(&min)) {
                return Err(SettingsError::invalid(
                    "fast_path.min_confidence",
                    format!("{min} is not between 0 and 1"),
                ));
            }
        }
        if let Some(blank) = self.classes.iter().find(|c| c.trim().is_empty()) {
            return Err(SettingsError::invalid(
                "fast_path.classes",
                format!("{blank:?} is not a class name"),
            ));
        }
        Ok(())
    }
}

hsi_core::impl_service_settings!(Settings);
