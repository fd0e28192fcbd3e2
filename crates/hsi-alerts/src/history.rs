//! The delivery history (`alert_deliveries`): one row per attempt per channel, written
//! right after the attempt's outcome is stored on the alert. It is a record for people,
//! not a source of truth for delivery (the outbox columns are), so writing it is best
//! effort: a failure is logged and counted, never retried, and never undoes a delivery.

use crate::delivery::ChannelResult;
use chrono::{DateTime, Utc};
use hsi_db::entities::alert_deliveries;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, DatabaseConnection, EntityTrait};
use uuid::Uuid;

/// `alert_deliveries.channel_type` and `.target` are bounded columns.
const TYPE_MAX: usize = 32;
const TARGET_MAX: usize = 2048;

/// What one channel's send in one attempt did.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub index: usize,
    pub result: ChannelResult,
    /// Requests made in this attempt (the result counts those of earlier attempts too).
    pub requests: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

/// The outcome of a channel's send as the history names it: the alert's state for a
/// channel that failed (`retrying`: it is sent again; `failed`: given up).
pub(crate) fn outcome(ok: bool, alert_state: &str) -> &'static str {
    match (ok, alert_state) {
        (true, _) => "delivered",
        (false, "retrying") => "retrying",
        (false, _) => "failed",
    }
}

/// Writes the rows of attempt `attempt` (1-based) of `alert_id`; never fails.
pub(crate) async fn record(
    db: &DatabaseConnection,
    alert_id: Uuid,
    attempt: i32,
    alert_state: &str,
    sent: &[Sent],
) {
    if sent.is_empty() {
        return;
    }
    let rows = sent.iter().map(|s| alert_deliveries::ActiveModel {
        id: NotSet,
        alert_id: Set(alert_id),
        attempt: Set(attempt),
        channel_index: Set(i32::try_from(s.index).unwrap_or(i32::MAX)),
        channel_type: Set(truncate(&s.result.kind, TYPE_MAX)),
        target: Set(truncate(&s.result.target, TARGET_MAX)),
        started_at: Set(s.started_at),
        finished_at: Set(s.finished_at),
        outcome: Set(outcome(s.result.ok, alert_state).to_owned()),
        requests: Set(i32::try_from(s.requests).unwrap_or(i32::MAX)),
        http_status: Set(s.result.http_status.map(i32::from)),
        error: Set(s.result.error.clone()),
    });
    // The outbox lease fences attempt numbers, so a conflict can only be this very
    // attempt written before; it is not written twice.
    let written = alert_deliveries::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                alert_deliveries::Column::AlertId,
                alert_deliveries::Column::Attempt,
                alert_deliveries::Column::ChannelIndex,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await;
    if let Err(err) = written {
        metrics::counter!("hsi_alert_history_write_failures_total").increment(1);
        tracing::warn!(%alert_id, attempt, error = %err, "cannot record the alert's delivery history");
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_channels_take_the_alert_state() {
        assert_eq!(outcome(true, "retrying"), "delivered");
        assert_eq!(outcome(true, "failed"), "delivered");
        assert_eq!(outcome(false, "retrying"), "retrying");
        assert_eq!(outcome(false, "failed"), "failed");
        assert_eq!(outcome(false, "delivered"), "failed");
    }

    #[test]
    fn bounded_columns_are_truncated_by_characters() {
        assert_eq!(truncate("ééé", 2), "éé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
