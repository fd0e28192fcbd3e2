//! The whole pipeline, each service as it runs in production (its own settings, its own
//! database role), in one process: photos copied into camera folders come out as judged
//! events, and a matching rule's alert reaches a webhook receiver.

mod common;

use axum::routing::post;
use axum::{Json, Router};
use common::{until, Pipeline};
use hsi_db::entities::alerts;
use hsi_testkit::llm_base_url;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

/// A webhook receiver (the remote party an alert goes to), recording what it is sent.
async fn webhook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let store = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |Json(body): Json<Value>| {
            let store = store.clone();
            async move {
                store.lock().expect("lock").push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

#[tokio::test]
async fn photos_in_two_camera_folders_become_judged_events_and_an_alert() {
    let mut pipeline = Pipeline::new().await;
    let (hook, received) = webhook_receiver().await;
    pipeline
        .db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO alert_rules (name, severity, risk_threshold, object_types, camera_ids, cooldown_seconds, channels)
             VALUES ('Person at the front door', 'high', 0, '[\"person\"]', '[\"front_door\"]', 0,
                     '[{{\"type\": \"webhook\", \"url\": \"{hook}\"}}]')"
        ))
        .await
        .expect("alert rule");
    pipeline.start(&llm_base_url(), Some(0.99)); // no fast path: every event comes from a batch
    pipeline.copy("Front Door", "person.jpg");
    pipeline.copy("Back Yard", "dog.jpg");

    until("events for both cameras", 240, || async {
        let events = pipeline.events().await;
        ["front_door", "back_yard"]
            .iter()
            .all(|camera| events.iter().any(|e| e.camera_id == *camera))
    })
    .await;
    for event in pipeline.events().await {
        let score = event.risk_score.expect("scored");
        assert!((0..=100).contains(&score), "{event:?}");
        let level = hsi_core::SeverityBands::default()
            .classify(i64::from(score))
            .expect("in range");
        assert_eq!(event.risk_level.as_deref(), Some(level.as_str()));
        assert!(!event.summary.as_deref().unwrap_or_default().is_empty());
        assert!(!event.is_fast_path);
        let objects = event.object_types.clone().unwrap_or_default();
        match event.camera_id.as_str() {
            "front_door" => assert!(objects.contains("person"), "{objects}"),
            "back_yard" => assert!(
                objects.contains("dog") && objects.contains("bicycle"),
                "{objects}"
            ),
            other => panic!("unexpected camera {other}"),
        }
    }

    until("the alert at the webhook", 60, || async {
        !received.lock().expect("lock").is_empty()
    })
    .await;
    let delivered = received.lock().expect("lock")[0].clone();
    assert_eq!(delivered["camera_id"], json!("front_door"), "{delivered}");
    let front = pipeline
        .events()
        .await
        .into_iter()
        .find(|e| e.camera_id == "front_door")
        .expect("event");
    until("the alert row marked delivered", 30, || async {
        alerts::Entity::find()
            .filter(alerts::Column::EventId.eq(front.id))
            .one(&pipeline.db.conn)
            .await
            .expect("alerts")
            .is_some_and(|a| a.delivered_at.is_some())
    })
    .await;
    pipeline.stop().await;
}

/// An LLM that answers at once, so the fast path's own latency is what is measured.
async fn quick_llm() -> String {
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            Json(json!({
                "model": "quick", "choices": [{"message": {"role": "assistant",
                "content": "{\"risk_score\": 70, \"summary\": \"A person at the front door\", \"reasoning\": \"quick\"}"}}]
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// The millisecond at which the next entry is added to `stream`: a plain blocking XREAD
/// (not a consumer group: each stream has one group, whose acknowledgements delete
/// entries), whose entry id starts with the time of the XADD.
fn next_entry_time(redis_url: &str, stream: String) -> JoinHandle<i64> {
    let url = redis_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = redis::Client::open(url)
            .and_then(|c| c.get_connection())
            .expect("redis");
        let reply: redis::streams::StreamReadReply = redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(60_000)
            .arg("STREAMS")
            .arg(&stream)
            .arg("$")
            .query(&mut conn)
            .expect("xread");
        let id = &reply.keys[0].ids[0].id;
        id.split('-')
            .next()
            .and_then(|ms| ms.parse().ok())
            .expect("entry ids start with milliseconds")
    })
}

#[tokio::test]
async fn a_fast_path_person_is_judged_within_a_second_of_its_detection() {
    let mut pipeline = Pipeline::new().await;
    // The small CenterNet rates the sample person about 0.67; its shipped profile sends
    // a person from 0.6 down the fast path, with no setting lowered for the test.
    pipeline.start(&quick_llm().await, None); // the model profile's own threshold
    let prefix = pipeline.redis.prefix.clone();
    let detected = next_entry_time(&pipeline.redis.url, format!("{prefix}stream:detections"));
    let judged = next_entry_time(&pipeline.redis.url, format!("{prefix}stream:events"));
    tokio::time::sleep(Duration::from_millis(200)).await; // both readers are blocked now
    pipeline.copy("Front Door", "person.jpg");

    let detected_at = detected.await.expect("detections reader");
    let judged_at = judged.await.expect("events reader");
    let latency = judged_at - detected_at;
    eprintln!("fast path: event published {latency} ms after the detections");
    assert!(
        (0..1000).contains(&latency),
        "judged {latency} ms after the detections were published"
    );
    let event = pipeline
        .events()
        .await
        .into_iter()
        .next()
        .expect("the event");
    assert!(event.is_fast_path, "{event:?}");
    // The LLM's 70 moves the worker's evidence score by the bound (10) at most, and the
    // event published on the stream is the judged one, not the provisional one.
    let audit = hsi_db::entities::event_audits::Entity::find()
        .filter(hsi_db::entities::event_audits::Column::EventId.eq(event.id))
        .one(&pipeline.db.conn)
        .await
        .expect("audit")
        .expect("an audit row");
    let evidence = audit.evidence_score.expect("an evidence score");
    assert_eq!(audit.stage, "final");
    assert_eq!(audit.llm_proposed_score, Some(70));
    let expected = (evidence + 10).min(70);
    assert_eq!(
        (event.camera_id.as_str(), event.risk_score),
        ("front_door", Some(expected))
    );
    assert_eq!(event.summary.as_deref(), Some("A person at the front door"));
    pipeline.stop().await;
}
