//! One delivery attempt of an alert taken from the outbox: every channel not delivered
//! yet is sent the alert's payload (concurrently, bounded by `delivery_timeout_ms`,
//! each request carrying an idempotency key per alert and channel), and the outcome is
//! recorded on the alert: delivered, due again after a back-off, or failed for good.

use crate::channel::Channel;
use crate::history::{self, Sent};
use crate::settings::AlertSettings;
use crate::store::{self, AttemptRecord, Claimed};
use crate::webhook::{self, RetryPolicy};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

/// The JSON body a webhook receives. A fast-path alert arrives first with `stage`
/// `provisional`, then again, under the same `alert_id` with a higher `revision`, when
/// the judgement arrives (`change`: upgraded, downgraded, confirmed or withdrawn).
/// Receivers replace the earlier message and ignore a revision older than one they have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertPayload {
    pub alert_id: Uuid,
    pub rule: RuleRef,
    pub severity: hsi_core::Severity,
    pub event_id: i32,
    pub camera_id: String,
    pub risk_score: i32,
    /// The event's risk level (empty in payloads from before revisions existed).
    #[serde(default)]
    pub risk_level: String,
    pub summary: String,
    pub object_types: Vec<String>,
    pub dedup_key: String,
    pub created_at: DateTime<Utc>,
    /// 1 when raised, one more for each revision.
    #[serde(default = "first_revision")]
    pub revision: i32,
    /// `provisional` (raised on a fast-path detection's evidence, before the judgement)
    /// or `final`.
    #[serde(default = "final_stage")]
    pub stage: String,
    /// What a revision changed: `upgraded`, `downgraded`, `confirmed` or `withdrawn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
    /// Why it was withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_reason: Option<String>,
}

fn first_revision() -> i32 {
    1
}

fn final_stage() -> String {
    "final".to_owned()
}

/// The rule that raised an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub id: Uuid,
    pub name: String,
}

/// The outcome of delivering to one channel, as kept in `metadata.delivery.channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelResult {
    #[serde(rename = "type")]
    pub kind: String,
    /// Where it went, without secrets (see `WebhookTarget::display_target`).
    pub target: String,
    pub ok: bool,
    /// Requests made over all attempts; 0 when the channel was refused before sending.
    pub attempts: u32,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    /// Whether a later attempt may succeed where this one failed.
    #[serde(default)]
    pub retryable: bool,
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
            retryable: false,
        }
    }
}

/// The value of the idempotency header for channel `index` of revision `revision` of
/// `alert_id`: a receiver drops repeats of one revision, never a new revision.
pub fn idempotency_key(alert_id: Uuid, revision: i32, index: usize) -> String {
    if revision <= 1 {
        format!("{alert_id}:{index}")
    } else {
        format!("{alert_id}:r{revision}:{index}")
    }
}

/// Shared by every delivery of one engine.
#[derive(Debug, Clone)]
pub(crate) struct Deliverer {
    pub db: DatabaseConnection,
    pub http: reqwest::Client,
    pub settings: AlertSettings,
}

impl Deliverer {
    /// Makes one delivery attempt of a claimed alert and records its outcome, then its
    /// delivery history.
    pub(crate) async fn attempt(&self, claimed: Claimed) {
        let alert_id = claimed.id;
        let (record, sent) = match AlertPayload::deserialize(&claimed.metadata["payload"]) {
            // The row's revision is the truth (the payload of an older row has none).
            Ok(mut payload) if payload.revision != claimed.revision => {
                payload.revision = claimed.revision;
                self.send_all(&claimed, &payload).await
            }
            Ok(payload) => self.send_all(&claimed, &payload).await,
            Err(err) => {
                let reason = format!("alert has no deliverable payload: {err}");
                let sent = unsendable(&claimed, &reason);
                let record = AttemptRecord {
                    metadata: claimed.metadata.clone(),
                    state: "failed",
                    next_attempt_at: None,
                    last_error: Some(reason),
                    delivered_at: None,
                };
                (record, sent)
            }
        };
        let state = record.state;
        tracing::Span::current().record("outcome", state);
        let last_error = record.last_error.clone().unwrap_or_default();
        match store::record_attempt(&self.db, &claimed, record).await {
            Ok(store::Outcome::Superseded) => {
                // The alert was revised while this revision was being sent; the new one
                // is due now. What was sent is still history.
                tracing::info!(%alert_id, revision = claimed.revision, "alert revised during its delivery; the new revision is due");
                history::record(&self.db, alert_id, claimed.attempts + 1, state, &sent).await;
            }
            Ok(store::Outcome::Recorded) => {
                match state {
                    "delivered" => {
                        record_delivered(&claimed);
                        tracing::info!(%alert_id, "alert delivered")
                    }
                    "retrying" => {
                        tracing::warn!(%alert_id, attempts = claimed.attempts + 1, error = %last_error, "alert not delivered yet, will retry")
                    }
                    _ => {
                        metrics::counter!("hsi_alerts_undeliverable_total").increment(1);
                        tracing::error!(%alert_id, attempts = claimed.attempts + 1, error = %last_error, "alert delivery failed for good")
                    }
                }
                history::record(&self.db, alert_id, claimed.attempts + 1, state, &sent).await;
            }
            Ok(store::Outcome::LeaseLost) => {
                tracing::warn!(%alert_id, "delivery outlived its lease; another attempt owns the alert now")
            }
            // The lease runs out and the sweeper tries again; receivers drop the repeat
            // by its idempotency key.
            Err(err) => tracing::error!(%alert_id, error = %err, "cannot record alert delivery"),
        }
    }

    /// Sends to every channel not delivered yet; answers the alert's new state and what
    /// was sent in this attempt.
    async fn send_all(
        &self,
        claimed: &Claimed,
        payload: &AlertPayload,
    ) -> (AttemptRecord, Vec<Sent>) {
        let channels = Channel::list(claimed.channels.as_ref());
        let previous = previous_results(&claimed.metadata);
        let deadline = tokio::time::Instant::now() + self.settings.delivery_timeout();
        let sends = channels.iter().enumerate().map(|(index, channel)| {
            let before = previous.get(index).cloned();
            async move {
                match before {
                    Some(done) if done.ok => (done, None),
                    before => {
                        let started_at = Utc::now();
                        let key = idempotency_key(payload.alert_id, payload.revision, index);
                        let mut result =
                            self.deliver_before(channel, payload, &key, deadline).await;
                        let requests = result.attempts;
                        result.attempts += before.map_or(0, |b| b.attempts);
                        count(&result);
                        let sent = Sent {
                            index,
                            result: result.clone(),
                            requests,
                            started_at,
                            finished_at: Utc::now(),
                        };
                        (result, Some(sent))
                    }
                }
            }
        });
        let (results, sent): (Vec<ChannelResult>, Vec<Option<Sent>>) =
            futures::future::join_all(sends).await.into_iter().unzip();
        (
            self.outcome(claimed, results),
            sent.into_iter().flatten().collect(),
        )
    }

    /// Turns the channels' results into the alert's new delivery state.
    fn outcome(&self, claimed: &Claimed, results: Vec<ChannelResult>) -> AttemptRecord {
        let now = Utc::now();
        // Attempts of this revision: each revision gets the full budget.
        let base = claimed.metadata["revision_attempts_base"]
            .as_i64()
            .unwrap_or(0);
        let attempt = u32::try_from(i64::from(claimed.attempts) - base).unwrap_or(0) + 1;
        let delivered = results.iter().all(|r| r.ok);
        let failures: Vec<String> = results
            .iter()
            .filter(|r| !r.ok)
            .map(|r| {
                let error = r.error.as_deref().unwrap_or("not delivered");
                format!("{} {}: {error}", r.kind, r.target)
            })
            .collect();
        let may_retry = results.iter().any(|r| !r.ok && r.retryable);
        let retry_at = (!delivered && may_retry && attempt < self.settings.max_delivery_attempts)
            .then(|| chrono::Duration::from_std(self.settings.redelivery().delay_for(attempt)).ok())
            .flatten()
            .and_then(|wait| now.checked_add_signed(wait));
        let state = match (delivered, retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "retrying",
            (false, None) => "failed",
        };
        AttemptRecord {
            metadata: with_delivery(claimed.metadata.clone(), &results, delivered, attempt, now),
            state,
            next_attempt_at: retry_at,
            last_error: (!failures.is_empty()).then(|| failures.join("; ")),
            delivered_at: delivered.then_some(now),
        }
    }

    async fn deliver_before(
        &self,
        channel: &Channel,
        payload: &AlertPayload,
        idempotency_key: &str,
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
        let send = webhook::send(&self.http, target, payload, idempotency_key, policy);
        match tokio::time::timeout_at(deadline, send).await {
            Ok(result) => result,
            Err(_) => {
                let mut result = ChannelResult::new("webhook", target.display_target());
                result.error = Some(format!(
                    "not delivered within alerts.delivery_timeout_ms ({} ms)",
                    self.settings.delivery_timeout_ms
                ));
                result.retryable = true;
                result
            }
        }
    }
}

/// Notes a new alert's first delivery: the `delivered` stage from its creation, and the
/// end-to-end time from its file landing (the event's start, kept in the metadata as
/// `matched.occurred_at`). Revisions are news about an alert already delivered.
fn record_delivered(claimed: &Claimed) {
    use hsi_core::pipeline_metrics::{observe_end_to_end, observe_stage, Stage, Until};
    if claimed.revision != 1 {
        return;
    }
    let millis = |value: &Value| {
        value
            .as_str()
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map_or(0, |at| at.timestamp_millis())
    };
    let now = Utc::now().timestamp_millis();
    observe_stage(
        Stage::Delivered,
        millis(&claimed.metadata["payload"]["created_at"]),
        now,
    );
    observe_end_to_end(
        Until::Delivered,
        millis(&claimed.metadata["matched"]["occurred_at"]),
        now,
    );
}

fn count(result: &ChannelResult) {
    let outcome = if result.ok { "ok" } else { "error" };
    metrics::counter!(
        "hsi_alert_deliveries_total",
        "channel" => result.kind.clone(),
        "outcome" => outcome
    )
    .increment(1);
    if !result.ok {
        tracing::warn!(
            channel = %result.kind,
            target = %result.target,
            attempts = result.attempts,
            error = result.error.as_deref().unwrap_or_default(),
            "alert delivery to a channel failed"
        );
    }
}

/// History rows for an alert that cannot be sent at all: each channel failed, unsent.
fn unsendable(claimed: &Claimed, reason: &str) -> Vec<Sent> {
    let now = Utc::now();
    Channel::list(claimed.channels.as_ref())
        .iter()
        .enumerate()
        .map(|(index, channel)| {
            let mut result = ChannelResult::new(channel.kind(), channel.display_target());
            result.error = Some(reason.to_owned());
            Sent {
                index,
                result,
                requests: 0,
                started_at: now,
                finished_at: now,
            }
        })
        .collect()
}

/// The per-channel results of earlier attempts, by channel index.
fn previous_results(metadata: &Value) -> Vec<ChannelResult> {
    Vec::<ChannelResult>::deserialize(&metadata["delivery"]["channels"]).unwrap_or_default()
}

/// Adds `delivery` to the alert's metadata (kept as an object even if it was not one).
fn with_delivery(
    metadata: Value,
    results: &[ChannelResult],
    delivered: bool,
    attempts: u32,
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
            "attempts": attempts,
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
    fn delivery_results_are_added_to_metadata_and_read_back() {
        let mut failed = ChannelResult::new("webhook", "https://example.com/h".to_owned());
        failed.attempts = 4;
        failed.http_status = Some(503);
        failed.error = Some("receiver answered http 503".to_owned());
        failed.retryable = true;
        let metadata = with_delivery(
            json!({"rule_name": "r"}),
            std::slice::from_ref(&failed),
            false,
            2,
            DateTime::UNIX_EPOCH,
        );
        assert_eq!(metadata["rule_name"], "r");
        assert_eq!(metadata["delivery"]["delivered"], false);
        assert_eq!(metadata["delivery"]["attempts"], 2);
        let channel = &metadata["delivery"]["channels"][0];
        assert_eq!(channel["type"], "webhook");
        assert_eq!(channel["ok"], false);
        assert_eq!(channel["attempts"], 4);
        assert_eq!(channel["http_status"], 503);
        assert_eq!(previous_results(&metadata), vec![failed]);
        assert!(previous_results(&json!({})).is_empty());
    }

    #[test]
    fn idempotency_keys_differ_per_channel_only() {
        let id = Uuid::nil();
        assert_eq!(idempotency_key(id, 1, 0), idempotency_key(id, 1, 0));
        assert_ne!(idempotency_key(id, 1, 0), idempotency_key(id, 1, 1));
        assert_ne!(idempotency_key(id, 1, 0), idempotency_key(id, 2, 0));
        assert_eq!(
            idempotency_key(id, 1, 0),
            format!("{id}:0"),
            "unchanged for first revisions"
        );
    }
}
