//! The running service end to end, in real time with short windows (window 2 s, idle
//! 1 s, ticks of 100 ms): detections stream in, batches stream out.

mod support;

use hsi_batch_aggregator::Settings;
use hsi_proto::v1::{BatchCloseReason, BatchMessage};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use support::{cars, message, until, World};

fn quick(world: &World) -> Settings {
    let mut settings = world.settings.clone();
    settings.batching.window_secs = 2;
    settings.batching.idle_secs = 1;
    settings.batching.tick_ms = 100;
    settings.batching.publish_lease_secs = 1;
    settings.batching.dedup_ttl_secs = 60;
    // The roll-up is not under test here and waits for a database it does not need.
    settings.database.url =
        hsi_core::settings::SecretUrl::new("postgres://hsi_batch_aggregator:hsi@127.0.0.1:1/none");
    settings
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test]
async fn a_running_service_sends_the_fast_path_at_once_and_closes_on_idle() {
    let world = World::new();
    let service = world.start(quick(&world));
    world
        .enqueue(message(
            "porch",
            now_ms(),
            &[(1, "person", 0.95), (2, "car", 0.6)],
        ))
        .await;
    until("the fast-path batch", 5, || async {
        !world.published().await.is_empty()
    })
    .await;
    let first = world.published().await;
    assert_eq!(first[0].batch_id, "fast-path-1");
    assert_eq!(first.len(), 1, "the car waits for its batch to close");

    until("the idle batch", 5, || async {
        world.published().await.len() == 2
    })
    .await;
    service.stop().await;
    let batch = &world.published().await[1];
    assert_eq!(batch.detection_ids, [2]);
    assert_eq!(batch.close_reason, BatchCloseReason::Idle as i32);
    let open_for = batch.closed_at_ms - batch.started_at_ms;
    assert!(
        (1000..1800).contains(&open_for),
        "idle after about 1 s: {open_for} ms"
    );
}

/// Two replicas in one consumer group on one Redis state: every detection lands in
/// exactly one published batch, and no batch is published twice.
#[tokio::test]
async fn two_replicas_publish_every_detection_exactly_once() {
    let world = World::new();
    let replicas = [world.start(quick(&world)), world.start(quick(&world))];
    let mut expected = HashSet::new();
    let mut next_id = 1;
    for round in 0..12 {
        for camera in ["front_door", "garage", "yard"] {
            let count = 1 + (round + next_id) % 3;
            let mut detections: Vec<(i64, &str, f32)> = Vec::new();
            for id in next_id..next_id + count {
                let person = id % 7 == 0;
                detections.push((id, if person { "person" } else { "car" }, 0.95));
                expected.insert(id);
            }
            next_id += count;
            let message = message(camera, now_ms(), &detections);
            // Each message twice, as a redelivery would send it.
            world.enqueue(message.clone()).await;
            world.enqueue(message).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    until("every detection batched", 10, || async {
        let seen: HashSet<i64> = world
            .published()
            .await
            .iter()
            .flat_map(|b| b.detection_ids.iter().copied())
            .collect();
        seen == expected
    })
    .await;
    // Anything published twice would show up within a few ticks.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for replica in replicas {
        replica.stop().await;
    }

    let published = world.published().await;
    let mut per_detection: HashMap<i64, usize> = HashMap::new();
    for id in published.iter().flat_map(|b| b.detection_ids.iter()) {
        *per_detection.entry(*id).or_default() += 1;
    }
    assert!(per_detection.values().all(|n| *n == 1), "{per_detection:?}");
    let batch_ids: HashSet<&str> = published.iter().map(|b| b.batch_id.as_str()).collect();
    assert_eq!(batch_ids.len(), published.len(), "no batch published twice");
    assert!(published.iter().any(|b: &BatchMessage| b.is_fast_path));
}

/// A batch closed but never published by a replica that died is published, once and
/// with its id, by the next service to start once the dead replica's lease runs out.
#[tokio::test]
async fn a_restarted_service_publishes_what_a_crash_left_unpublished() {
    let world = World::new();
    let settings = quick(&world);
    let crashed = hsi_batch_aggregator::Aggregator::new(world.pool.clone(), &settings);
    let now = now_ms();
    crashed
        .handle(&cars("drive", now, 1..4), now)
        .await
        .expect("handle");
    let (closed, _) = crashed
        .store()
        .close_due(now + 1000)
        .await
        .expect("close step alone");
    assert_eq!(closed.len(), 1);

    let service = world.start(settings);
    until("the orphaned batch", 5, || async {
        !world.published().await.is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    service.stop().await;
    let published = world.published().await;
    assert_eq!(published.len(), 1, "exactly once");
    assert_eq!(published[0].batch_id, closed[0]);
    assert_eq!(published[0].detection_ids, [1, 2, 3]);
}
