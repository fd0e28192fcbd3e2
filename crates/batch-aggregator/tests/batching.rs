//! The batching core against the real Redis, driven with an explicit "now": every step
//! (`handle`, `tick`, `close_due`) takes the aggregator's time as an argument, so these
//! tests cover minutes of processing time without sleeping and without a paused Tokio
//! clock (whose auto-advance would fire the Redis client's timeouts during real I/O).

mod support;

use hsi_proto::v1::{BatchCloseReason, BatchMessage};
use support::{cars, message, World, SEC, T0};

fn ids(batch: &BatchMessage) -> Vec<i64> {
    batch.detection_ids.clone()
}

#[tokio::test]
async fn a_batch_closes_when_its_window_has_run() {
    let world = World::new();
    let aggregator = world.aggregator();
    // A detection every 20 s keeps it from going idle (30 s).
    for step in 0..5 {
        let at = T0 + step * 20 * SEC;
        aggregator
            .handle(&cars("front_door", at, step * 2 + 1..step * 2 + 3), at)
            .await
            .expect("handle");
        aggregator.tick(at).await.expect("tick");
    }
    aggregator.tick(T0 + 89_999).await.expect("tick");
    assert!(
        world.published().await.is_empty(),
        "the window is still open"
    );

    let report = aggregator.tick(T0 + 90 * SEC).await.expect("tick");
    assert_eq!((report.closed, report.published, report.open), (1, 1, 0));
    let published = world.published().await;
    assert_eq!(published.len(), 1);
    let batch = &published[0];
    assert_eq!(batch.close_reason, BatchCloseReason::Window as i32);
    assert_eq!(
        ids(batch),
        (1..=10).collect::<Vec<_>>(),
        "all, in arrival order"
    );
    assert_eq!(batch.camera_id, "front_door");
    assert_eq!(
        (batch.started_at_ms, batch.closed_at_ms),
        (T0, T0 + 90 * SEC)
    );
    assert!(!batch.is_fast_path);
    assert!(uuid::Uuid::parse_str(&batch.batch_id).is_ok(), "a uuid v7");
    assert_eq!(
        batch.meta.as_ref().map(|m| m.message_id.as_str()),
        Some(batch.batch_id.as_str())
    );

    // The next detection opens a new batch.
    let at = T0 + 95 * SEC;
    aggregator
        .handle(&cars("front_door", at, 11..12), at)
        .await
        .expect("handle");
    aggregator.tick(at + 30 * SEC).await.expect("tick");
    let published = world.published().await;
    assert_eq!(published.len(), 2);
    assert_eq!(ids(&published[1]), [11]);
    assert_ne!(published[1].batch_id, published[0].batch_id);
}

#[tokio::test]
async fn a_batch_closes_when_it_goes_idle() {
    let world = World::new();
    let aggregator = world.aggregator();
    for (offset, first) in [(0, 1), (SEC, 3), (2 * SEC, 5)] {
        let at = T0 + offset;
        aggregator
            .handle(&cars("garage", at, first..first + 2), at)
            .await
            .expect("handle");
    }
    // Empty messages (files without detections) change nothing.
    aggregator
        .handle(&message("garage", T0 + 3 * SEC, &[]), T0 + 3 * SEC)
        .await
        .expect("handle");
    aggregator.tick(T0 + 31_999).await.expect("tick");
    assert!(
        world.published().await.is_empty(),
        "idle for less than 30 s"
    );

    aggregator.tick(T0 + 32 * SEC).await.expect("tick");
    let published = world.published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].close_reason, BatchCloseReason::Idle as i32);
    assert_eq!(ids(&published[0]), [1, 2, 3, 4, 5, 6]);
    assert_eq!(published[0].closed_at_ms, T0 + 32 * SEC);
}

#[tokio::test]
async fn an_empty_message_opens_no_batch() {
    let world = World::new();
    let aggregator = world.aggregator();
    let ingested = aggregator
        .handle(&message("garage", T0, &[]), T0)
        .await
        .expect("handle");
    assert_eq!(ingested.added, 0);
    let report = aggregator.tick(T0 + 600 * SEC).await.expect("tick");
    assert_eq!((report.closed, report.open), (0, 0));
    assert!(world.published().await.is_empty());
}

#[tokio::test]
async fn a_full_batch_closes_at_once_and_the_rest_open_a_new_one() {
    let mut world = World::new();
    world.settings.batching.max_detections = 5;
    let aggregator = world.aggregator();
    aggregator
        .handle(&cars("yard", T0, 1..4), T0)
        .await
        .expect("handle");
    let ingested = aggregator
        .handle(&cars("yard", T0 + SEC, 4..8), T0 + SEC)
        .await
        .expect("handle");
    assert_eq!(
        ingested.closed.len(),
        1,
        "closed without waiting for a tick"
    );
    let published = world.published().await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].close_reason, BatchCloseReason::Size as i32);
    assert_eq!(ids(&published[0]), [1, 2, 3, 4, 5]);

    // One message larger than two batches: two more close, four stay open.
    aggregator
        .handle(&cars("yard", T0 + 2 * SEC, 8..20), T0 + 2 * SEC)
        .await
        .expect("handle");
    let published = world.published().await;
    assert_eq!(published.len(), 3);
    assert_eq!(ids(&published[1]), [6, 7, 8, 9, 10]);
    assert_eq!(ids(&published[2]), [11, 12, 13, 14, 15]);

    aggregator.tick(T0 + 40 * SEC).await.expect("tick");
    let published = world.published().await;
    assert_eq!(published.len(), 4);
    assert_eq!(ids(&published[3]), [16, 17, 18, 19]);
    assert_eq!(published[3].close_reason, BatchCloseReason::Idle as i32);
    let mut batch_ids: Vec<&str> = published.iter().map(|b| b.batch_id.as_str()).collect();
    batch_ids.dedup();
    assert_eq!(batch_ids.len(), 4, "every batch has its own id");
}

#[tokio::test]
async fn a_confident_person_takes_the_fast_path_once_per_cooldown() {
    let world = World::new();
    let aggregator = world.aggregator();
    let first = message("porch", T0, &[(1, "person", 0.95)]);
    let ingested = aggregator.handle(&first, T0).await.expect("handle");
    assert_eq!(ingested.closed, ["fast-path-1"]);
    let published = world.published().await;
    assert_eq!(published.len(), 1, "sent at once, no tick needed");
    let fast = &published[0];
    assert_eq!(fast.close_reason, BatchCloseReason::FastPath as i32);
    assert!(fast.is_fast_path);
    assert_eq!(
        (fast.batch_id.as_str(), ids(fast)),
        ("fast-path-1", vec![1])
    );

    // Within the cooldown, and for other classes or lower confidence: the normal batch.
    let at = T0 + 10 * SEC;
    let others = message(
        "porch",
        at,
        &[(2, "person", 0.97), (3, "dog", 0.95), (4, "person", 0.5)],
    );
    let ingested = aggregator.handle(&others, at).await.expect("handle");
    assert!(ingested.closed.is_empty());
    // After the cooldown a confident person takes the fast path again.
    let at = T0 + 61 * SEC;
    let later = message("porch", at, &[(5, "person", 0.91)]);
    aggregator.handle(&later, at).await.expect("handle");
    aggregator.tick(T0 + 91 * SEC).await.expect("tick");

    let published = world.published().await;
    assert_eq!(published.len(), 3);
    assert_eq!(
        (published[1].batch_id.as_str(), ids(&published[1])),
        ("fast-path-5", vec![5])
    );
    assert_eq!(
        ids(&published[2]),
        [2, 3, 4],
        "no fast-path detection in it"
    );
    assert_eq!(published[2].close_reason, BatchCloseReason::Idle as i32);
    assert!(!published[2].is_fast_path);
}

#[tokio::test]
async fn a_redelivered_message_adds_nothing() {
    let world = World::new();
    let aggregator = world.aggregator();
    let message = message(
        "porch",
        T0,
        &[(1, "car", 0.8), (2, "person", 0.99), (3, "car", 0.7)],
    );
    let first = aggregator.handle(&message, T0).await.expect("handle");
    assert_eq!(first.added, 3);
    for at in [T0 + 5 * SEC, T0 + 70 * SEC] {
        let again = aggregator.handle(&message, at).await.expect("redelivery");
        assert_eq!(again.added, 0, "redelivered at {at}");
        assert!(again.closed.is_empty(), "no second fast-path batch");
    }
    aggregator.tick(T0 + 200 * SEC).await.expect("tick");

    let published = world.published().await;
    assert_eq!(published.len(), 2);
    assert_eq!(ids(&published[0]), [2]);
    assert_eq!(ids(&published[1]), [1, 3]);
    // The hourly count saw each detection once.
    let mut conn = world.pool.get().await.expect("redis");
    let bucket = format!("{}baseline:bucket:{}:porch", world.redis.prefix, T0 / 1000);
    let total: u64 = redis::cmd("HGET")
        .arg(&bucket)
        .arg("total")
        .query_async(&mut *conn)
        .await
        .expect("bucket");
    assert_eq!(total, 3);
}

/// The closing replica dies after closing a batch and before publishing it: the batch
/// waits in the closed set under the dead replica's lease, then a fresh aggregator
/// publishes it, once, with the id it was given when it opened.
#[tokio::test]
async fn a_batch_closed_by_a_crashed_replica_is_published_once_by_another() {
    let world = World::new();
    let crashed = world.aggregator();
    crashed
        .handle(&cars("drive", T0, 1..4), T0)
        .await
        .expect("handle");
    let (closed, open) = crashed
        .store()
        .close_due(T0 + 30 * SEC)
        .await
        .expect("close step alone");
    assert_eq!((closed.len(), open), (1, 0));
    drop(crashed);
    assert!(world.published().await.is_empty());

    let fresh = world.aggregator();
    let report = fresh.tick(T0 + 31 * SEC).await.expect("tick");
    assert_eq!(
        report.published, 0,
        "the lease (30 s) of the dead replica holds"
    );
    let report = fresh.tick(T0 + 60 * SEC).await.expect("tick");
    assert_eq!(report.published, 1, "the lease ran out");
    for later in [61, 200] {
        fresh.tick(T0 + later * SEC).await.expect("tick");
    }
    let published = world.published().await;
    assert_eq!(published.len(), 1, "exactly once");
    assert_eq!(published[0].batch_id, closed[0]);
    assert_eq!(ids(&published[0]), [1, 2, 3]);
    assert_eq!(published[0].close_reason, BatchCloseReason::Idle as i32);
    let leftovers: Vec<String> = world
        .redis
        .keys()
        .into_iter()
        .filter(|k| k.contains("batch:b:") || k.ends_with("batch:closed"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "a published batch is forgotten: {leftovers:?}"
    );
}

/// The ticker lagging behind never lets a detection join a batch that is already due.
#[tokio::test]
async fn an_overdue_batch_is_closed_before_new_detections_join() {
    let world = World::new();
    let aggregator = world.aggregator();
    aggregator
        .handle(&cars("drive", T0, 1..3), T0)
        .await
        .expect("handle");
    let late = T0 + 45 * SEC;
    let ingested = aggregator
        .handle(&cars("drive", late, 3..4), late)
        .await
        .expect("handle");
    assert_eq!(ingested.closed.len(), 1);
    aggregator.tick(late + 30 * SEC).await.expect("tick");
    let published = world.published().await;
    assert_eq!(ids(&published[0]), [1, 2]);
    assert_eq!(published[0].close_reason, BatchCloseReason::Idle as i32);
    assert_eq!(ids(&published[1]), [3]);
}
