//! What keeps the pipeline moving when something downstream is full, slow or stuck:
//! announce streams that never refuse, backpressure that pauses instead of failing
//! messages, a deadline per message, and a drain deadline at shutdown. Against the real
//! Redis.

mod common;

use common::{eventually, Queue};
use hsi_proto::v1::EventMessage;
use hsi_queue::{consume, queue_stats, ConsumeOptions, HandlerError, Producer, QueueSettings};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn settings() -> QueueSettings {
    QueueSettings {
        max_stream_length: 5,
        visibility_timeout_ms: 400,
        max_deliveries: 2,
        block_ms: 100,
        retry_base_ms: 10,
        announce_max_length: 10,
        max_processing_ms: 300,
        drain_timeout_ms: 500,
        ..QueueSettings::default()
    }
}

#[tokio::test]
async fn an_announce_stream_never_refuses_and_keeps_about_its_cap() {
    let queue = Queue::new(settings());
    let producer: Producer<EventMessage> = Producer::new(
        queue.pool.clone(),
        &queue.redis.prefix,
        &queue.settings,
        "analysis-worker",
    );
    // Far past both caps: a work stream of this size would refuse after 5.
    for n in 0..400 {
        producer
            .publish(EventMessage {
                event_id: n,
                ..EventMessage::default()
            })
            .await
            .unwrap_or_else(|err| panic!("event {n} was refused: {err}"));
    }
    let stats = queue_stats(&queue.pool, &queue.redis.prefix, "events", "gateway")
        .await
        .expect("stats");
    // Trimming is approximate (whole stream nodes of 100 entries), never unbounded.
    assert!(
        stats.length <= 10 + 100,
        "events stream holds {} entries",
        stats.length
    );
}

#[tokio::test]
async fn a_full_downstream_pauses_intake_without_spending_deliveries() {
    let queue = Queue::new(settings());
    queue.publish(3).await;
    let refusals = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let stop = CancellationToken::new();
    let (r, d) = (refusals.clone(), done.clone());
    let worker = tokio::spawn(consume(
        queue.consumer("worker"),
        ConsumeOptions {
            concurrency: 3,
            max_backoff: Duration::from_millis(200),
        },
        stop.clone(),
        move |delivery| {
            let (r, d) = (r.clone(), d.clone());
            async move {
                // The stream it writes to stays full for the first 12 tries, far more
                // than max_deliveries (2) would allow if they counted.
                if r.fetch_add(1, Ordering::SeqCst) < 12 {
                    return Err(HandlerError::Backpressure(
                        "stream:detections is full".into(),
                    ));
                }
                assert_eq!(delivery.delivery_count, 1, "backpressure spent a delivery");
                d.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        },
    ));
    eventually("every message handled", || async {
        done.load(Ordering::SeqCst) == 3
    })
    .await;
    stop.cancel();
    worker.await.expect("worker");
    assert!(queue.dead_letters().await.is_empty(), "nothing may be lost");
    assert_eq!(queue.stats().await.length, 0);
}

#[tokio::test]
async fn a_handler_past_its_deadline_is_cut_short_and_its_message_dead_lettered_in_the_end() {
    let queue = Queue::new(settings());
    queue.publish(1).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let stop = CancellationToken::new();
    let c = calls.clone();
    let worker = tokio::spawn(consume(
        queue.consumer("worker"),
        ConsumeOptions::default(),
        stop.clone(),
        move |_| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                // A query or a call that never returns.
                std::future::pending::<()>().await;
                Ok(())
            }
        },
    ));
    eventually("the stuck message dead-lettered", || async {
        !queue.dead_letters().await.is_empty()
    })
    .await;
    stop.cancel();
    worker.await.expect("worker");
    let dead = queue.dead_letters().await;
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].error.contains("queue.max_processing_ms"),
        "{}",
        dead[0].error
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "tried max_deliveries times"
    );
}

#[tokio::test]
async fn shutdown_gives_up_on_stuck_work_at_the_drain_deadline() {
    let mut slow = settings();
    slow.max_processing_ms = 60_000;
    let queue = Queue::new(slow);
    queue.publish(1).await;
    let started = Arc::new(AtomicUsize::new(0));
    let stop = CancellationToken::new();
    let s = started.clone();
    let worker = tokio::spawn(consume(
        queue.consumer("worker"),
        ConsumeOptions::default(),
        stop.clone(),
        move |_| {
            let s = s.clone();
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
                Ok(())
            }
        },
    ));
    eventually("the message in hand", || async {
        started.load(Ordering::SeqCst) == 1
    })
    .await;
    stop.cancel();
    // Without the drain deadline this would wait for ever on the stuck handler.
    tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("consume returned after the drain deadline")
        .expect("worker");
    assert_eq!(
        queue.stats().await.pending,
        1,
        "the unfinished message stays pending for redelivery"
    );
}
