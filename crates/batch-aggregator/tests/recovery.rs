//! The recovery sweep: detections in no event, whose batch Redis lost, are batched
//! again; those still on their way in a batch are left alone.

mod support;

use hsi_batch_aggregator::{recovery, RecoveryWindow};
use hsi_core::Service;
use hsi_testkit::TestDatabase;
use sea_orm::ConnectionTrait;
use std::time::Duration;
use support::{World, T0};

/// A file processed ten minutes ago with three detections (a confident person among
/// them), none of them in an event.
async fn processed_file(db: &TestDatabase) {
    db.conn
        .execute_unprepared(
            "INSERT INTO cameras (id, name, folder_path) VALUES ('front', 'Front', '/c/front');
             INSERT INTO detections (id, camera_id, file_path, object_type, confidence, source_message_id, object_index)
                 VALUES (11, 'front', '/c/front/1.jpg', 'car', 0.7, 'msg-1', 0),
                        (12, 'front', '/c/front/1.jpg', 'dog', 0.5, 'msg-1', 1),
                        (13, 'front', '/c/front/1.jpg', 'cat', 0.4, 'msg-1', 2);
             INSERT INTO processed_files (message_id, outcome, detection_count, processed_at)
                 VALUES ('msg-1', 'detected', 3, now() - interval '10 minutes');",
        )
        .await
        .expect("fixture");
}

fn window() -> RecoveryWindow {
    RecoveryWindow {
        grace: Duration::from_secs(60),
        horizon: Duration::from_secs(3600),
    }
}

#[tokio::test]
async fn detections_whose_batch_was_lost_are_batched_again_once() {
    let db = TestDatabase::migrated().await;
    processed_file(&db).await;
    let world = World::new();
    let aggregator = world.aggregator();
    let conn = db.connect_as(Service::BatchAggregator).await;

    let first = recovery::sweep(&conn, &aggregator, window(), T0)
        .await
        .expect("sweep");
    assert_eq!((first.unjudged, first.rebatched), (3, 3));
    // Still in the open batch: a second sweep adds nothing.
    let again = recovery::sweep(&conn, &aggregator, window(), T0 + 1_000)
        .await
        .expect("sweep");
    assert_eq!((again.unjudged, again.rebatched), (3, 0));

    // Redis loses everything (the open batch with it): batched anew.
    let keys = world.redis.keys();
    let mut redis = redis::Client::open(world.redis.url.as_str())
        .and_then(|c| c.get_connection())
        .expect("redis");
    let _: () = redis::cmd("DEL").arg(keys).query(&mut redis).expect("wipe");
    let after_loss = recovery::sweep(&conn, &aggregator, window(), T0 + 2_000)
        .await
        .expect("sweep");
    assert_eq!(after_loss.rebatched, 3);
    // The batch closes on its window and carries all three.
    aggregator.tick(T0 + 2_000 + 3_600_000).await.expect("tick");
    let published = world.published().await;
    assert_eq!(published.len(), 1, "{published:#?}");
    let mut ids = published[0].detection_ids.clone();
    ids.sort_unstable();
    assert_eq!(ids, [11, 12, 13]);
}

#[tokio::test]
async fn judged_recent_and_old_detections_are_left_alone() {
    let db = TestDatabase::migrated().await;
    processed_file(&db).await;
    db.conn
        .execute_unprepared(
            "INSERT INTO events (id, batch_id, camera_id, started_at) VALUES (1, 'b', 'front', now());
             INSERT INTO event_detections (event_id, detection_id) VALUES (1, 11), (1, 12), (1, 13);
             INSERT INTO detections (id, camera_id, file_path, object_type, confidence, source_message_id)
                 VALUES (21, 'front', '/c/front/2.jpg', 'car', 0.7, 'msg-2'),
                        (31, 'front', '/c/front/3.jpg', 'car', 0.7, 'msg-3');
             INSERT INTO processed_files (message_id, outcome, detection_count, processed_at)
                 VALUES ('msg-2', 'detected', 1, now() - interval '5 seconds'),
                        ('msg-3', 'detected', 1, now() - interval '3 days');",
        )
        .await
        .expect("fixture");
    let world = World::new();
    let conn = db.connect_as(Service::BatchAggregator).await;
    let report = recovery::sweep(&conn, &world.aggregator(), window(), T0)
        .await
        .expect("sweep");
    // Judged (11-13), within the grace period (21), beyond the horizon (31).
    assert_eq!((report.unjudged, report.rebatched), (0, 0));
}
