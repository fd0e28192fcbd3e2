//! The delivery outbox: an alert committed is delivered even when the worker that
//! committed it dies before sending, and a receiver that is down for a while gets every
//! alert once it is back, once per idempotency key.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fail loudly too

mod common;

use chrono::Utc;
use common::{facts, local_settings, Harness, Receiver, Reply};
use hsi_alerts::{idempotency_key, AlertSettings, IDEMPOTENCY_HEADER};
use hsi_db::entities::alerts;
use sea_orm::ActiveValue::Set;
use sea_orm::TransactionTrait;
use std::collections::HashMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

fn keys_received(receiver: &Receiver) -> HashMap<String, usize> {
    let mut keys = HashMap::new();
    for (headers, _) in receiver.bodies() {
        let key = headers[IDEMPOTENCY_HEADER].to_str().unwrap().to_owned();
        *keys.entry(key).or_default() += 1;
    }
    keys
}

#[tokio::test]
async fn an_alert_whose_worker_died_after_the_commit_is_delivered_by_another_worker() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Status(200)).await;
    h.rule("porch", |r| r.channels = Set(Some(receiver.channels())))
        .await;
    let event_id = h.event(80).await;

    // A worker commits the event's alert and dies before it delivers anything.
    let dying = h.engine(local_settings()).await;
    let conn = h.db.connect_as(hsi_core::Service::AnalysisWorker).await;
    let txn = conn.begin().await.unwrap();
    let created = dying
        .on_event_in(
            &txn,
            &facts(event_id, 80, Utc::now()),
            "someone at the door",
        )
        .await
        .unwrap();
    txn.commit().await.unwrap();
    drop(dying);
    assert_eq!(created.len(), 1);
    assert_eq!(receiver.requests(), 0, "nothing sent before the crash");
    let alert = h.alerts_of(event_id).await.remove(0);
    assert_eq!(alert.delivery_state, "pending", "the outbox holds it");

    // Another replica's sweep finds it due and delivers it.
    let survivor = h.engine(local_settings()).await;
    assert_eq!(survivor.sweep_outbox().await.unwrap(), 1);
    survivor.drain().await;

    let alert = h.alerts_of(event_id).await.remove(0);
    assert_eq!(alert.delivery_state, "delivered");
    assert!(alert.delivered_at.is_some());
    assert_eq!(alert.next_attempt_at, None);
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1);
    let (headers, body) = &bodies[0];
    assert_eq!(
        headers[IDEMPOTENCY_HEADER].to_str().unwrap(),
        idempotency_key(alert.id, 1, 0)
    );
    assert_eq!(body["alert_id"], alert.id.to_string());
    assert_eq!(body["summary"], "someone at the door");
    // Nothing is due any more: a second sweep sends nothing.
    assert_eq!(survivor.sweep_outbox().await.unwrap(), 0);
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_every_alert_once_it_is_back() {
    let h = Harness::new().await;
    // A port with nobody listening: the receiver is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    h.rule("porch", |r| {
        r.cooldown_seconds = Set(0);
        r.channels = Set(Some(serde_json::json!([{"type": "webhook", "url": url}])));
    })
    .await;
    let settings = AlertSettings {
        webhook_retries: 0,
        max_delivery_attempts: 50,
        ..local_settings()
    };
    let engine = h.engine(settings).await;
    let stop = CancellationToken::new();
    let sweeper = engine.spawn_outbox(stop.clone());
    let mut events = Vec::new();
    for _ in 0..5 {
        let event_id = h.event(90).await;
        engine
            .on_event(&facts(event_id, 90, Utc::now()), "s")
            .await
            .unwrap();
        events.push(event_id);
    }
    eventually(
        "failed attempts recorded",
        Duration::from_secs(10),
        || async {
            let all = h.all_alerts().await;
            all.len() == 5 && all.iter().all(|a| a.delivery_attempts >= 2)
        },
    )
    .await;
    for alert in h.all_alerts().await {
        assert_eq!(alert.delivery_state, "retrying", "{alert:?}");
        assert!(alert
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("webhook"));
    }

    // The receiver comes back on the same address.
    let receiver = Receiver::start_on(port, |_| Reply::Status(204)).await;
    eventually("every alert delivered", Duration::from_secs(20), || async {
        h.all_alerts()
            .await
            .iter()
            .all(|a| a.delivery_state == "delivered")
    })
    .await;
    stop.cancel();
    sweeper.await.unwrap();
    engine.drain().await;

    let received = keys_received(&receiver);
    let expected: Vec<String> = h
        .all_alerts()
        .await
        .iter()
        .map(|a: &alerts::Model| idempotency_key(a.id, 1, 0))
        .collect();
    assert_eq!(received.len(), 5, "{received:?}");
    for key in expected {
        assert_eq!(received.get(&key), Some(&1), "key {key}: {received:?}");
    }
}

#[tokio::test]
async fn a_receiver_that_refuses_for_good_fails_the_alert_with_its_reason() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Status(410)).await;
    h.rule("gone", |r| r.channels = Set(Some(receiver.channels())))
        .await;
    let engine = h.engine(local_settings()).await;
    let event_id = h.event(70).await;
    engine
        .on_event(&facts(event_id, 70, Utc::now()), "s")
        .await
        .unwrap();
    engine.drain().await;
    let alert = h.alerts_of(event_id).await.remove(0);
    assert_eq!(alert.delivery_state, "failed", "a 410 will not change");
    assert_eq!(alert.next_attempt_at, None);
    assert!(
        alert
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("410"),
        "{:?}",
        alert.last_error
    );
    assert_eq!(receiver.requests(), 1);
}

#[test]
fn the_default_schedule_keeps_trying_for_more_than_half_an_hour() {
    // Twelve attempts, 5 s doubling to 5 min between them: a receiver down for a minute
    // (or for half an hour) still gets its alerts.
    let settings = AlertSettings::default();
    let base = Duration::from_millis(settings.redelivery_base_ms);
    let max = Duration::from_millis(settings.redelivery_max_ms);
    let backoff = hsi_core::retry::Backoff::new(base, max);
    let span: Duration = (1..settings.max_delivery_attempts)
        .map(|attempt| backoff.delay_for(attempt))
        .sum();
    assert!(span > Duration::from_secs(30 * 60), "{span:?}");
}
