//! Delivering a recorded alert to its channels and recording the outcome on the alert.
//!
//! Runs in a task of its own, bounded by `delivery_timeout_ms`, so a slow or dead
//! receiver never holds up the pipeline. Channels are delivered concurrently.

use crate::channel::Channel;
use crate::settings::AlertSettings;
use crate::store;
use crate::webhook::{self, RetryPolicy};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

/// The JSON body a webhook receives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertPayload {
    pub alert_id: Uuid,
    pub rule: RuleRef,
    pub severity: hsi_core::Severity,
    pub event_id: i32,
    pub camera_id: String,
    pub risk_score: i32,
    pub summary: String,
    pub object_types: Vec<String>,
    pub dedup_key: String,
    pub created_at: DateTime<Utc>,
}

/// The rule that raised an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    pub id: Uuid,
    pub name: String,
}

/// The outcome of delivering to one channel, as kept in `metadata.delivery.channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelResult {
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it went, without secrets (see `WebhookTarget::display_target`).
    pub target: String,
    pub ok: bool,
    /// Requests made; 0 when the channel was refused before sending.
    pub attempts: u32,
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

impl ChannelResult {
    pub(crate) fn new(kind: &str, target: String) -> Self {
        Self {
            kind: kind.to_owned(),
            target,
            ok: false,
            attempts: 0,
            http_status: None,
            error: None,
        }
    }
}

/// What a delivery task needs; everything is owned so the task outlives `on_event`.
#[derive(Debug)]
pub(crate) struct DeliveryJob {
    pub payload: AlertPayload,
    pub channels: Vec<Channel>,
    /// The metadata the alert was inserted with; `delivery` is added to it.
    pub metadata: Value,
}

/// Shared by every delivery task of one engine.
#[derive(Debug, Clone)]
pub(crate) struct Deliverer {
    pub db: DatabaseConnection,
    pub http: reqwest::Client,
    pub settings: AlertSettings,
}

impl Deliverer {
    /// Delivers to every channel, then records the results on the alert.
    pub(crate) async fn run(&self, job: DeliveryJob) {
        let alert_id = job.payload.alert_id;
        let deadline = tokio::time::Instant::now() + self.settings.delivery_timeout();
        let sends = job
            .channels
            .iter()
            .map(|channel| self.deliver_before(channel, &job.payload, deadline));
        let results = futures::future::join_all(sends).await;
        for result in &results {
            let outcome = if result.ok { "ok" } else { "error" };
            metrics::counter!(
                "hsi_alert_deliveries_total",
                "channel" => result.kind.clone(),
                "outcome" => outcome
            )
            .increment(1);
            if !result.ok {
                tracing::warn!(
                    %alert_id,
                    channel = %result.kind,
                    target = %result.target,
                    attempts = result.attempts,
                    error = result.error.as_deref().unwrap_or_default(),
                    "alert delivery failed"
                );
            }
        }
        let delivered = results.iter().all(|result| result.ok);
        let finished_at = Utc::now();
        let metadata = with_delivery(job.metadata, &results, delivered, finished_at);
        let delivered_at = delivered.then_some(finished_at);
        if let Err(err) = store::record_delivery(&self.db, alert_id, metadata, delivered_at).await {
            tracing::error!(%alert_id, error = %err, "cannot record alert delivery");
        }
    }

    async fn deliver_before(
        &self,
        channel: &Channel,
        payload: &AlertPayload,
        deadline: tokio::time::Instant,
    ) -> ChannelResult {
        let target = match channel {
            Channel::Webhook(target) => target,
            Channel::Unusable { kind, reason } => {
                let mut result = ChannelResult::new(kind, String::new());
                result.error = Some(reason.clone());
                return result;
            }
        };
        let policy = RetryPolicy {
            retries: self.settings.webhook_retries,
            base_backoff: Duration::from_millis(self.settings.retry_base_ms),
            attempt_timeout: self.settings.webhook_timeout(),
            allow_private: self.settings.allow_private_destinations,
        };
        let send = webhook::send(&self.http, target, payload, policy);
        match tokio::time::timeout_at(deadline, send).await {
            Ok(result) => result,
            Err(_) => {
                let mut result = ChannelResult::new("webhook", target.display_target());
                result.error = Some(format!(
                    "not delivered within alerts.delivery_timeout_ms ({} ms)",
                    self.settings.delivery_timeout_ms
                ));
                result
            }
        }
    }
}

/// Adds `delivery` to the alert's metadata (kept as an object even if it was not one).
fn with_delivery(
    metadata: Value,
    results: &[ChannelResult],
    delivered: bool,
    finished_at: DateTime<Utc>,
) -> Value {
    let mut object = match metadata {
        Value::Object(object) => object,
        other => {
            let mut object = serde_json::Map::new();
            object.insert("original".to_owned(), other);
            object
        }
    };
    object.insert(
        "delivery".to_owned(),
        json!({
            "delivered": delivered,
            "finished_at": finished_at,
            "channels": results,
        }),
    );
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_results_are_added_to_metadata() {
        let mut failed = ChannelResult::new("webhook", "https://example.com/h".to_owned());
        failed.attempts = 4;
        failed.http_status = Some(503);
        failed.error = Some("receiver answered http 503".to_owned());
        let metadata = with_delivery(
            json!({"rule_name": "r"}),
            &[failed],
            false,
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(metadata["rule_name"], "r");
        assert_eq!(metadata["delivery"]["delivered"], false);
        let channel = &metadata["delivery"]["channels"][0];
        assert_eq!(channel["type"], "webhook");
        assert_eq!(channel["ok"], false);
        assert_eq!(channel["attempts"], 4);
        assert_eq!(channel["http_status"], 503);
    }
}
