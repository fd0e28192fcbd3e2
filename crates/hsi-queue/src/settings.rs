//! Queue tuning shared by producers and consumers.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `queue` section of a service's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueSettings {
    /// Most unfinished messages a stream may hold before producers are refused.
    pub max_stream_length: u64,
    /// A pending message idle this long is presumed abandoned and may be reclaimed.
    pub visibility_timeout_ms: u64,
    /// Deliveries after which a failing message goes to the dead-letter stream.
    pub max_deliveries: u32,
    /// Longest a blocking read waits before looking for abandoned messages again.
    pub block_ms: u64,
    /// First retry delay after a failure; doubles per delivery, capped at the visibility timeout.
    pub retry_base_ms: u64,
    /// Dead letters kept per stream (oldest trimmed first).
    pub max_dead_letters: u64,
    /// Entries an announce stream (events) keeps, about; older ones are trimmed.
    pub announce_max_length: u64,
    /// Announce-stream entries older than this are trimmed (0: by length only).
    pub announce_max_age_secs: u64,
    /// A handler still busy after this long is cut short and its message retried, so
    /// one hung dependency cannot pin a message and a slot for good.
    pub max_processing_ms: u64,
    /// At shutdown, how long in-flight messages may take to finish; what is still
    /// running then is left pending and is redelivered to another consumer.
    pub drain_timeout_ms: u64,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            max_stream_length: 10_000,
            visibility_timeout_ms: 30_000,
            max_deliveries: 5,
            block_ms: 2_000,
            retry_base_ms: 1_000,
            max_dead_letters: 100_000,
            announce_max_length: 10_000,
            announce_max_age_secs: 24 * 3600,
            max_processing_ms: 600_000,
            drain_timeout_ms: 25_000,
        }
    }
}

impl QueueSettings {
    pub fn visibility_timeout(&self) -> Duration {
        Duration::from_millis(self.visibility_timeout_ms)
    }

    pub fn max_processing(&self) -> Duration {
        Duration::from_millis(self.max_processing_ms)
    }

    pub fn drain_timeout(&self) -> Duration {
        Duration::from_millis(self.drain_timeout_ms)
    }

    /// The redelivery back-off: `retry_base_ms` doubling, at most the visibility timeout.
    pub fn retry_backoff(&self) -> hsi_core::retry::Backoff {
        hsi_core::retry::Backoff::new(
            Duration::from_millis(self.retry_base_ms),
            self.visibility_timeout(),
        )
    }

    /// Checks the keys under `section`.
    pub fn validate(&self, section: &str) -> Result<(), hsi_core::settings::SettingsError> {
        use hsi_core::settings::SettingsError;
        if self.max_stream_length == 0 {
            return Err(SettingsError::invalid(
                format!("{section}.max_stream_length"),
                "must be at least 1",
            ));
        }
        if self.max_deliveries == 0 {
            return Err(SettingsError::invalid(
                format!("{section}.max_deliveries"),
                "must be at least 1",
            ));
        }
        if self.visibility_timeout_ms < 100 {
            return Err(SettingsError::invalid(
                format!("{section}.visibility_timeout_ms"),
                format!(
                    "{} is too short to finish any work (minimum 100)",
                    self.visibility_timeout_ms
                ),
            ));
        }
        for (key, value) in [
            ("announce_max_length", self.announce_max_length),
            ("max_processing_ms", self.max_processing_ms),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(
                    format!("{section}.{key}"),
                    "must be at least 1",
                ));
            }
        }
        if self.block_ms == 0 || self.block_ms > self.visibility_timeout_ms {
            return Err(SettingsError::invalid(
                format!("{section}.block_ms"),
                "must be between 1 and visibility_timeout_ms",
            ));
        }
        Ok(())
    }
}
