//! Judgement that nothing downstream can stop and nothing replayed can double: a full
//! (or unread) events stream never holds up an event or its alerts, and a detection is
//! judged in one event only, however often its batch comes back.

mod support;

use hsi_db::entities::{alerts, event_detections};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use support::World;

/// A URL where no LLM answers, so every batch is judged by the rule-based scorer.
fn dead_llm() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    format!("http://127.0.0.1:{port}/v1")
}

/// `count` more detections (ids 101..) on cameras `cam_0`..`cam_2`, one person each.
async fn many_detections(world: &World, count: i32) {
    world
        .db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO cameras (id, name, folder_path) VALUES
                 ('cam_0', 'Cam 0', '/c/0'), ('cam_1', 'Cam 1', '/c/1'), ('cam_2', 'Cam 2', '/c/2');
             INSERT INTO detections (id, camera_id, file_path, detected_at, object_type, confidence,
                                     bbox_x, bbox_y, bbox_width, bbox_height, source_message_id)
                 SELECT 100 + n, 'cam_' || (n % 3), '/c/' || n || '.jpg', now(), 'person', 0.8,
                        10, 10, 50, 100, 'm-' || n
                 FROM generate_series(1, {count}) AS n;
             INSERT INTO alert_rules (name, severity, cooldown_seconds) VALUES ('every event', 'high', 0);"
        ))
        .await
        .expect("fixture");
}

fn batch_on(
    camera: &str,
    id: &str,
    detections: &[i64],
) -> hsi_queue::Delivery<hsi_proto::v1::BatchMessage> {
    let mut delivery = World::batch(id, detections);
    delivery.message.camera_id = camera.to_owned();
    delivery
}

/// Reproduces "alerts stop after 10,000 events": nobody reads the events stream and its
/// cap is tiny, yet every batch becomes an event with its alert, and none is retried or
/// dead-lettered.
#[tokio::test]
async fn with_nobody_reading_the_events_stream_every_batch_still_raises_its_alert() {
    let mut world = World::new(&dead_llm()).await;
    world.settings.queue.max_stream_length = 1;
    world.settings.queue.announce_max_length = 1;
    let batches = 60;
    many_detections(&world, batches).await;
    let analyzer = world.analyzer().await;
    for n in 1..=batches {
        let camera = format!("cam_{}", n % 3);
        let outcome = analyzer
            .handle(batch_on(&camera, &format!("b-{n}"), &[i64::from(100 + n)]))
            .await;
        assert_eq!(outcome, Ok(()), "batch {n} (cap 1, {n} events announced)");
    }
    assert_eq!(world.events().await.len(), batches as usize);
    let raised = alerts::Entity::find()
        .count(&world.db.conn)
        .await
        .expect("alerts");
    assert_eq!(raised, batches as u64, "one alert per event, none lost");
}

#[tokio::test]
async fn a_replayed_batch_under_a_new_id_judges_no_detection_twice() {
    let world = World::new(&dead_llm()).await;
    let analyzer = world.analyzer().await;
    analyzer
        .handle(World::batch("original", &[1]))
        .await
        .expect("first");
    // The same detection again (a batch rebuilt after Redis was lost), plus a new one.
    analyzer
        .handle(World::batch("rebuilt", &[1, 2]))
        .await
        .expect("rebuilt");
    // And once more with nothing new in it: acknowledged, nothing written.
    analyzer
        .handle(World::batch("replayed", &[1, 2]))
        .await
        .expect("replayed");
    let events = world.events().await;
    assert_eq!(events.len(), 2, "{events:#?}");
    let links = event_detections::Entity::find()
        .all(&world.db.conn)
        .await
        .expect("links");
    let mut linked: Vec<i32> = links.iter().map(|l| l.detection_id).collect();
    linked.sort_unstable();
    assert_eq!(linked, [1, 2], "each detection in exactly one event");
    let rebuilt = events
        .iter()
        .find(|e| e.batch_id == "rebuilt")
        .expect("rebuilt");
    assert_eq!(
        rebuilt.object_types.as_deref(),
        Some("cat"),
        "only the new detection"
    );
}

#[tokio::test]
async fn the_schema_refuses_a_detection_in_two_events() {
    let world = World::new(&dead_llm()).await;
    let refused = world
        .db
        .conn
        .execute_unprepared(
            "INSERT INTO events (id, batch_id, camera_id, started_at) VALUES
                 (50, 'x', 'front_door', now()), (51, 'y', 'front_door', now());
             INSERT INTO event_detections (event_id, detection_id) VALUES (50, 1), (51, 1);",
        )
        .await
        .expect_err("a detection may belong to one event only");
    assert!(
        refused
            .to_string()
            .contains("uq_event_detections_detection_id"),
        "{refused}"
    );
}
