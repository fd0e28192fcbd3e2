//! Webhook delivery to a real local receiver: success, retries, timeouts that do not
//! block the pipeline, SSRF refusal and unknown channel types, each recorded on the alert.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fail loudly too

mod common;

use chrono::Utc;
use common::{facts, local_settings, Harness, Receiver, Reply, CAMERA};
use hsi_alerts::AlertSettings;
use hsi_db::entities::alerts;
use hsi_db::entities::enums::AlertStatus;
use sea_orm::ActiveValue::Set;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Raises one alert for a new event with `channels` and waits for its delivery.
async fn deliver(h: &Harness, settings: AlertSettings, channels: Value) -> alerts::Model {
    h.rule("webhook rule", |r| r.channels = Set(Some(channels)))
        .await;
    let engine = h.engine(settings).await;
    let event_id = h.event(77).await;
    let created = engine
        .on_event(&facts(event_id, 77, Utc::now()), "someone at the door")
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    engine.drain().await;
    h.alerts_of(event_id).await.remove(0)
}

fn channel_results(alert: &alerts::Model) -> Vec<Value> {
    let metadata = alert.metadata.as_ref().expect("metadata");
    metadata["delivery"]["channels"]
        .as_array()
        .expect("delivery results")
        .clone()
}

#[tokio::test]
async fn alert_is_delivered_to_the_webhook_and_marked_delivered() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Status(204)).await;

    let alert = deliver(&h, local_settings(), receiver.channels()).await;

    assert_eq!(alert.status, AlertStatus::Delivered);
    assert!(alert.delivered_at.is_some());
    assert_eq!(alert.channels, Some(receiver.channels()));
    let results = channel_results(&alert);
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[0]["attempts"], 1);
    assert_eq!(results[0]["http_status"], 204);
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1);
    let (headers, body) = &bodies[0];
    assert_eq!(headers["x-token"], "t0ken");
    assert_eq!(body["alert_id"], alert.id.to_string());
    assert_eq!(body["rule"]["name"], "webhook rule");
    assert_eq!(body["severity"], "high");
    assert_eq!(body["event_id"], alert.event_id);
    assert_eq!(body["camera_id"], CAMERA);
    assert_eq!(body["risk_score"], 77);
    assert_eq!(body["summary"], "someone at the door");
    assert_eq!(body["object_types"], json!(["person", "car"]));
    assert!(body["created_at"].is_string());
}

#[tokio::test]
async fn server_errors_are_retried_until_delivered() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|n| Reply::Status(if n < 2 { 500 } else { 200 })).await;

    let alert = deliver(&h, local_settings(), receiver.channels()).await;

    assert_eq!(alert.status, AlertStatus::Delivered);
    let results = channel_results(&alert);
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[0]["attempts"], 3);
    assert_eq!(results[0]["http_status"], 200);
    assert_eq!(receiver.requests(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Status(404)).await;

    let alert = deliver(&h, local_settings(), receiver.channels()).await;

    assert_eq!(alert.status, AlertStatus::Pending);
    assert_eq!(alert.delivered_at, None);
    let results = channel_results(&alert);
    assert_eq!(results[0]["ok"], false);
    assert_eq!(results[0]["attempts"], 1);
    assert_eq!(results[0]["http_status"], 404);
    assert_eq!(receiver.requests(), 1);
}

#[tokio::test]
async fn receiver_that_never_answers_does_not_block_the_pipeline() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Hang).await;
    h.rule("slow receiver", |r| {
        r.channels = Set(Some(receiver.channels()))
    })
    .await;
    let settings = AlertSettings {
        webhook_timeout_ms: 300,
        webhook_retries: 1,
        retry_base_ms: 50,
        delivery_timeout_ms: 3_000,
        ..local_settings()
    };
    let engine = h.engine(settings).await;
    let event_id = h.event(77).await;

    let started = Instant::now();
    let created = engine
        .on_event(&facts(event_id, 77, Utc::now()), "s")
        .await
        .unwrap();
    let returned_after = started.elapsed();
    engine.drain().await;

    assert_eq!(created.len(), 1);
    assert!(
        returned_after < Duration::from_millis(300),
        "on_event waited {returned_after:?} for the receiver"
    );
    let alert = h.alerts_of(event_id).await.remove(0);
    assert_eq!(alert.status, AlertStatus::Pending);
    assert_eq!(alert.delivered_at, None);
    let results = channel_results(&alert);
    assert_eq!(results[0]["ok"], false);
    assert_eq!(results[0]["attempts"], 2);
    let error = results[0]["error"].as_str().unwrap();
    assert!(error.contains("no answer within 300 ms"), "{error}");
    assert_eq!(
        alert.metadata.as_ref().unwrap()["delivery"]["delivered"],
        false
    );
}

#[tokio::test]
async fn overall_delivery_timeout_cuts_retries_short() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Status(503)).await;
    let settings = AlertSettings {
        webhook_timeout_ms: 200,
        webhook_retries: 10,
        retry_base_ms: 200,
        delivery_timeout_ms: 500,
        ..local_settings()
    };

    let started = Instant::now();
    let alert = deliver(&h, settings, receiver.channels()).await;

    assert!(started.elapsed() < Duration::from_secs(5));
    let results = channel_results(&alert);
    assert_eq!(results[0]["ok"], false);
    let error = results[0]["error"].as_str().unwrap();
    assert!(
        error.contains("alerts.delivery_timeout_ms (500 ms)"),
        "{error}"
    );
}

#[tokio::test]
async fn private_destination_is_refused_without_a_request() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Status(200)).await;
    let settings = AlertSettings {
        allow_private_destinations: false,
        ..local_settings()
    };

    let alert = deliver(&h, settings, receiver.channels()).await;

    assert_eq!(receiver.requests(), 0);
    assert_eq!(alert.status, AlertStatus::Pending);
    let results = channel_results(&alert);
    assert_eq!(results[0]["ok"], false);
    assert_eq!(results[0]["attempts"], 0);
    let error = results[0]["error"].as_str().unwrap();
    assert!(
        error.contains("127.0.0.1")
            && error.contains("loopback")
            && error.contains("allow_private_destinations"),
        "{error}"
    );
}

#[tokio::test]
async fn unknown_channel_fails_while_the_webhook_is_still_delivered() {
    let h = Harness::new().await;
    let receiver = Receiver::start(|_| Reply::Status(200)).await;
    let channels = json!([
        {"type": "webhook", "url": receiver.url()},
        {"type": "carrier_pigeon", "loft": "roof"},
        {"type": "webhook", "url": "file:///etc/passwd"},
    ]);

    let alert = deliver(&h, local_settings(), channels).await;

    assert_eq!(receiver.requests(), 1);
    assert_eq!(
        alert.status,
        AlertStatus::Pending,
        "not every channel succeeded"
    );
    assert_eq!(alert.delivered_at, None);
    let results = channel_results(&alert);
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[1]["type"], "carrier_pigeon");
    assert_eq!(results[1]["ok"], false);
    let error = results[1]["error"].as_str().unwrap();
    assert!(
        error.contains("\"carrier_pigeon\" is not supported"),
        "{error}"
    );
    let error = results[2]["error"].as_str().unwrap();
    assert!(error.contains("scheme \"file\" is refused"), "{error}");
}
