//! The `alerts` settings section.

use hsi_core::settings::SettingsError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How alerts are delivered and how often rules are reloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertSettings {
    /// Lets webhooks reach loopback, private, link-local and unique-local addresses
    /// (a receiver on the same host or LAN); off by default to stop SSRF.
    pub allow_private_destinations: bool,
    /// Time allowed for one webhook attempt, unless the channel sets `timeout_ms`.
    pub webhook_timeout_ms: u64,
    /// Attempts after the first one, for connection errors, timeouts and 5xx.
    pub webhook_retries: u32,
    /// Back-off before the first retry; it doubles for each later one.
    pub retry_base_ms: u64,
    /// Time allowed for delivering one alert to all of its channels, retries included.
    pub delivery_timeout_ms: u64,
    /// How long loaded rules are reused before they are read again (0: every event).
    pub rules_cache_secs: u64,
    /// Delivery attempts (each with its own `webhook_retries`) before an alert that
    /// still cannot be delivered is marked failed.
    pub max_delivery_attempts: u32,
    /// Wait before the second delivery attempt; it doubles for each later one ...
    pub redelivery_base_ms: u64,
    /// ... up to this.
    pub redelivery_max_ms: u64,
    /// How often the delivery outbox is swept for alerts due (after a crash, or a retry).
    pub outbox_poll_ms: u64,
    /// Alerts delivered at once by one worker.
    pub delivery_concurrency: usize,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            allow_private_destinations: false,
            webhook_timeout_ms: 5_000,
            webhook_retries: 3,
            retry_base_ms: 500,
            delivery_timeout_ms: 30_000,
            rules_cache_secs: 5,
            max_delivery_attempts: 12,
            redelivery_base_ms: 5_000,
            redelivery_max_ms: 300_000,
            outbox_poll_ms: 2_000,
            delivery_concurrency: 16,
        }
    }
}

/// More retries than this only keep a dead receiver's alerts in flight for longer.
const MAX_RETRIES: u32 = 10;

impl AlertSettings {
    /// Checks the keys under `section` (usually `alerts`).
    pub fn validate(&self, section: &str) -> Result<(), SettingsError> {
        let positive = [
            ("webhook_timeout_ms", self.webhook_timeout_ms),
            ("retry_base_ms", self.retry_base_ms),
            ("delivery_timeout_ms", self.delivery_timeout_ms),
            (
                "max_delivery_attempts",
                u64::from(self.max_delivery_attempts),
            ),
            ("redelivery_base_ms", self.redelivery_base_ms),
            ("redelivery_max_ms", self.redelivery_max_ms),
            ("outbox_poll_ms", self.outbox_poll_ms),
            ("delivery_concurrency", self.delivery_concurrency as u64),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(SettingsError::invalid(
                    format!("{section}.{key}"),
                    "must be at least 1",
                ));
            }
        }
        if self.webhook_retries > MAX_RETRIES {
            return Err(SettingsError::invalid(
                format!("{section}.webhook_retries"),
                format!("{} is above {MAX_RETRIES}", self.webhook_retries),
            ));
        }
        if self.delivery_timeout_ms < self.webhook_timeout_ms {
            return Err(SettingsError::invalid(
                format!("{section}.delivery_timeout_ms"),
                format!(
                    "{} is below webhook_timeout_ms {}, so no attempt could finish",
                    self.delivery_timeout_ms, self.webhook_timeout_ms
                ),
            ));
        }
        Ok(())
    }

    pub(crate) fn webhook_timeout(&self) -> Duration {
        Duration::from_millis(self.webhook_timeout_ms)
    }

    pub(crate) fn delivery_timeout(&self) -> Duration {
        Duration::from_millis(self.delivery_timeout_ms)
    }

    pub(crate) fn rules_cache(&self) -> Duration {
        Duration::from_secs(self.rules_cache_secs)
    }

    /// The wait between delivery attempts of one alert.
    pub(crate) fn redelivery(&self) -> hsi_core::retry::Backoff {
        hsi_core::retry::Backoff::new(
            Duration::from_millis(self.redelivery_base_ms),
            Duration::from_millis(self.redelivery_max_ms),
        )
    }

    /// How long a delivery attempt holds its alert: the whole attempt, with room to
    /// record its outcome.
    pub(crate) fn delivery_lease(&self) -> Duration {
        self.delivery_timeout() + Duration::from_secs(30)
    }

    pub(crate) fn outbox_poll(&self) -> Duration {
        Duration::from_millis(self.outbox_poll_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        AlertSettings::default().validate("alerts").unwrap();
    }

    #[test]
    fn bad_values_name_their_key() {
        let zero_timeout = AlertSettings {
            webhook_timeout_ms: 0,
            ..Default::default()
        };
        let err = zero_timeout.validate("alerts").unwrap_err().to_string();
        assert!(err.contains("alerts.webhook_timeout_ms"), "{err}");

        let short_delivery = AlertSettings {
            delivery_timeout_ms: 100,
            ..Default::default()
        };
        let err = short_delivery.validate("alerts").unwrap_err().to_string();
        assert!(err.contains("alerts.delivery_timeout_ms"), "{err}");

        let many_retries = AlertSettings {
            webhook_retries: 11,
            ..Default::default()
        };
        let err = many_retries.validate("alerts").unwrap_err().to_string();
        assert!(
            err.contains("alerts.webhook_retries") && err.contains("11"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let parsed: Result<AlertSettings, _> =
            serde_json::from_str(r#"{"allow_private_destination": true}"#);
        assert!(parsed.is_err());
        let parsed: AlertSettings = serde_json::from_str(r#"{"webhook_retries": 1}"#).unwrap();
        assert_eq!(parsed.webhook_retries, 1);
        assert_eq!(parsed.retry_base_ms, 500);
    }
}
