//! Alerts against the real PostgreSQL and Redis: which rules fire, cooldown across
//! replicas, and exactly one alert per (event, rule) under redelivery.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fail loudly too

mod common;

use chrono::{DateTime, Utc};
use common::{facts, local_settings, Harness, CAMERA};
use hsi_db::entities::enums::AlertStatus;
use sea_orm::ActiveValue::Set;
use serde_json::json;
use std::time::Duration;

/// A Monday, 12:00 UTC.
fn monday_noon() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
        .unwrap()
        .to_utc()
}

#[tokio::test]
async fn matching_rule_without_channels_creates_a_pending_alert() {
    let h = Harness::new().await;
    let rule_id = h
        .rule("porch person", |r| {
            r.risk_threshold = Set(Some(50));
            r.object_types = Set(Some(json!(["person"])));
            r.zone_ids = Set(Some(json!(["porch"])));
            r.dedup_key_template = Set("{camera_id}:{object_type}:{zone_id}:{severity}".into());
        })
        .await;
    let engine = h.engine(local_settings()).await;
    let event_id = h.event(70).await;

    let created = engine
        .on_event(&facts(event_id, 70, monday_noon()), "a person at the door")
        .await
        .unwrap();
    engine.drain().await;

    assert_eq!(created.len(), 1);
    assert_eq!(created[0].rule_id, rule_id);
    assert_eq!(created[0].channels, 0);
    let alerts = h.alerts_of(event_id).await;
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!(alert.id, created[0].id);
    assert_eq!(alert.rule_id, Some(rule_id));
    assert_eq!(alert.dedup_key, format!("{CAMERA}:person:porch:high"));
    assert_eq!(
        alert.status,
        AlertStatus::Pending,
        "no channels: stays pending"
    );
    assert_eq!(alert.delivered_at, None);
    let metadata = alert.metadata.as_ref().unwrap();
    assert_eq!(metadata["rule_name"], "porch person");
    assert_eq!(metadata["matched"]["object_type"], "person");
    assert_eq!(metadata["matched"]["zone_id"], "porch");
    assert_eq!(metadata["matched"]["risk_score"], 70);
    assert!(metadata.get("delivery").is_none());
}

#[tokio::test]
async fn rules_that_do_not_match_create_nothing() {
    let h = Harness::new().await;
    h.rule("other camera", |r| {
        r.camera_ids = Set(Some(json!(["back_yard"])))
    })
    .await;
    h.rule("high risk only", |r| r.risk_threshold = Set(Some(80)))
        .await;
    h.rule("nights", |r| {
        r.schedule = Set(Some(json!({"start_time": "22:00", "end_time": "06:00"})))
    })
    .await;
    h.rule("pool", |r| r.zone_ids = Set(Some(json!(["pool"]))))
        .await;
    h.rule("confident dog", |r| {
        r.object_types = Set(Some(json!(["dog"])));
        r.min_confidence = Set(Some(0.5));
    })
    .await;
    h.rule("disabled", |r| r.enabled = Set(false)).await;
    let engine = h.engine(local_settings()).await;
    let event_id = h.event(70).await;

    let created = engine
        .on_event(&facts(event_id, 70, monday_noon()), "quiet")
        .await
        .unwrap();

    assert!(created.is_empty(), "{created:?}");
    assert!(h.all_alerts().await.is_empty());
}

#[tokio::test]
async fn malformed_rule_is_skipped_while_a_good_one_fires() {
    let h = Harness::new().await;
    h.rule("broken types", |r| {
        r.object_types = Set(Some(json!("person")))
    })
    .await;
    h.rule("broken schedule", |r| {
        r.schedule = Set(Some(json!({"days": ["caturday"]})))
    })
    .await;
    let good = h.rule("good", |_| {}).await;
    let engine = h.engine(local_settings()).await;
    let event_id = h.event(40).await;

    let created = engine
        .on_event(&facts(event_id, 40, monday_noon()), "s")
        .await
        .unwrap();

    assert_eq!(created.len(), 1);
    assert_eq!(created[0].rule_id, good);
}

#[tokio::test]
async fn second_event_within_the_cooldown_is_suppressed() {
    let h = Harness::new().await;
    h.rule("cooled", |r| r.cooldown_seconds = Set(1)).await;
    h.rule("uncooled", |r| r.cooldown_seconds = Set(0)).await;
    let engine = h.engine(local_settings()).await;
    let (first, second, third) = (h.event(50).await, h.event(50).await, h.event(50).await);

    let a = engine
        .on_event(&facts(first, 50, Utc::now()), "s")
        .await
        .unwrap();
    let b = engine
        .on_event(&facts(second, 50, Utc::now()), "s")
        .await
        .unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(b.len(), 1, "only the rule without cooldown fires again");
    assert_eq!(b[0].rule_name, "uncooled");

    // Once the cooldown has run out the rule fires again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let c = engine
        .on_event(&facts(third, 50, Utc::now()), "s")
        .await
        .unwrap();
    assert_eq!(c.len(), 2);
}

#[tokio::test]
async fn rules_sharing_a_dedup_key_share_the_cooldown() {
    let h = Harness::new().await;
    for name in ["a", "b"] {
        h.rule(name, |r| r.dedup_key_template = Set("{camera_id}".into()))
            .await;
    }
    let engine = h.engine(local_settings()).await;
    let event_id = h.event(50).await;

    let created = engine
        .on_event(&facts(event_id, 50, Utc::now()), "s")
        .await
        .unwrap();
    // A retry of the event must not let the second rule through either.
    let again = engine
        .on_event(&facts(event_id, 50, Utc::now()), "s")
        .await
        .unwrap();

    assert_eq!(created.len(), 1);
    assert!(again.is_empty());
    assert_eq!(h.all_alerts().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_racing_on_the_same_and_on_different_events_create_one_alert() {
    let h = Harness::new().await;
    h.rule("raced", |_| {}).await;
    let (a, b) = (
        h.engine(local_settings()).await,
        h.engine(local_settings()).await,
    );
    let event_id = h.event(50).await;
    let same = facts(event_id, 50, Utc::now());

    let (x, y) = tokio::join!(a.on_event(&same, "s"), b.on_event(&same, "s"));
    assert_eq!(x.unwrap().len() + y.unwrap().len(), 1);
    assert_eq!(h.alerts_of(event_id).await.len(), 1);

    // Two different events on the same camera inside the cooldown.
    let (e1, e2) = (h.event(50).await, h.event(50).await);
    let (f1, f2) = (facts(e1, 50, Utc::now()), facts(e2, 50, Utc::now()));
    let (x, y) = tokio::join!(a.on_event(&f1, "s"), b.on_event(&f2, "s"));
    assert_eq!(
        x.unwrap().len() + y.unwrap().len(),
        0,
        "still in the first cooldown"
    );
    assert_eq!(h.all_alerts().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_event_creates_no_second_alert_even_without_cooldown() {
    let h = Harness::new().await;
    h.rule("no cooldown", |r| r.cooldown_seconds = Set(0)).await;
    h.rule("with cooldown", |_| {}).await;
    let (a, b) = (
        h.engine(local_settings()).await,
        h.engine(local_settings()).await,
    );
    let event_id = h.event(50).await;
    let event = facts(event_id, 50, Utc::now());

    let first = a.on_event(&event, "s").await.unwrap();
    let again = a.on_event(&event, "s").await.unwrap();
    let (x, y) = tokio::join!(a.on_event(&event, "s"), b.on_event(&event, "s"));

    assert_eq!(first.len(), 2);
    assert!(again.is_empty());
    assert!(x.unwrap().is_empty() && y.unwrap().is_empty());
    assert_eq!(h.alerts_of(event_id).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_delivery_without_cooldown_creates_one_alert() {
    let h = Harness::new().await;
    h.rule("no cooldown", |r| r.cooldown_seconds = Set(0)).await;
    let (a, b) = (
        h.engine(local_settings()).await,
        h.engine(local_settings()).await,
    );
    let event_id = h.event(50).await;
    let event = facts(event_id, 50, Utc::now());

    let (x, y) = tokio::join!(a.on_event(&event, "s"), b.on_event(&event, "s"));

    assert_eq!(x.unwrap().len() + y.unwrap().len(), 1);
    assert_eq!(h.alerts_of(event_id).await.len(), 1);
}
