//! The delivery history: one `alert_deliveries` row per attempt and channel, with what
//! the receiver answered, next to the outbox state of the alert.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fail loudly too

mod common;

use chrono::Utc;
use common::{facts, local_settings, Harness, Receiver, Reply};
use hsi_alerts::AlertSettings;
use hsi_db::entities::alert_deliveries;
use sea_orm::ActiveValue::Set;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;
use std::time::Duration;

async fn history(h: &Harness) -> Vec<alert_deliveries::Model> {
    alert_deliveries::Entity::find()
        .order_by_asc(alert_deliveries::Column::Attempt)
        .order_by_asc(alert_deliveries::Column::ChannelIndex)
        .all(&h.db.conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_attempt_is_recorded_until_the_alert_is_delivered() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|n| Reply::Status(if n < 2 { 503 } else { 200 })).await;
    h.rule("flaky receiver", |r| {
        r.channels = Set(Some(receiver.channels()))
    })
    .await;
    let settings = AlertSettings {
        webhook_retries: 0,
        redelivery_base_ms: 10,
        redelivery_max_ms: 10,
        ..local_settings()
    };
    let engine = h.engine(settings).await;
    let event_id = h.event(90).await;
    engine
        .on_event(&facts(event_id, 90, Utc::now()), "s")
        .await
        .unwrap();
    engine.drain().await;
    for _ in 0..100 {
        if h.alerts_of(event_id).await[0].delivery_state == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        engine.sweep_outbox().await.unwrap();
        engine.drain().await;
    }

    let alert = h.alerts_of(event_id).await.remove(0);
    assert_eq!(alert.delivery_state, "delivered");
    let rows = history(&h).await;
    let seen: Vec<(i32, &str, Option<i32>, i32)> = rows
        .iter()
        .map(|r| (r.attempt, r.outcome.as_str(), r.http_status, r.requests))
        .collect();
    assert_eq!(
        seen,
        [
            (1, "retrying", Some(503), 1),
            (2, "retrying", Some(503), 1),
            (3, "delivered", Some(200), 1)
        ]
    );
    assert!(rows
        .iter()
        .all(|r| r.alert_id == alert.id && r.channel_index == 0));
    assert!(rows
        .iter()
        .all(|r| r.channel_type == "webhook" && r.target == receiver.url()));
    assert!(rows[0].error.as_deref().unwrap().contains("503"));
    assert_eq!(rows[2].error, None);
    assert!(rows.iter().all(|r| r.finished_at >= r.started_at));
    assert_eq!(alert.delivery_attempts, 3);
}

#[tokio::test]
async fn a_channel_that_cannot_be_used_is_recorded_as_failed_without_a_request() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Status(204)).await;
    let channels = json!([
        {"type": "webhook", "url": format!("{}?token=secret", receiver.url())},
        {"type": "carrier_pigeon"},
    ]);
    h.rule("mixed", |r| r.channels = Set(Some(channels))).await;
    let engine = h.engine(local_settings()).await;
    let event_id = h.event(90).await;
    engine
        .on_event(&facts(event_id, 90, Utc::now()), "s")
        .await
        .unwrap();
    engine.drain().await;

    let rows = history(&h).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].outcome, "delivered");
    assert_eq!(rows[0].http_status, Some(204));
    assert_eq!(
        rows[0].target,
        receiver.url(),
        "the query, which may hold a secret, is not kept"
    );
    assert_eq!(rows[1].channel_type, "carrier_pigeon");
    assert_eq!(
        rows[1].outcome, "failed",
        "nothing would make it work later"
    );
    assert_eq!(rows[1].requests, 0);
    assert!(rows[1].error.as_deref().unwrap().contains("not supported"));
}
