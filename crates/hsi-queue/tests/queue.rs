//! The queue against the real Redis: delivery, reclaim from a dead consumer, dead
//! letters for poison messages, backpressure, exactly-one live owner per message, and
//! riding out a Redis outage.

mod common;

use common::{eventually, file, Queue, GROUP};
use hsi_proto::v1::FileMessage;
use hsi_queue::{
    consume, redis_pool, trace, ConsumeOptions, Consumer, DeadLetter, HandlerError, Producer,
    QueueError, QueueSettings,
};
use hsi_testkit::RedisServer;
use prost::Message;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn fast_settings() -> QueueSettings {
    QueueSettings {
        max_stream_length: 10_000,
        visibility_timeout_ms: 300,
        max_deliveries: 3,
        block_ms: 100,
        retry_base_ms: 10,
        max_dead_letters: 1_000,
        ..QueueSettings::default()
    }
}

#[tokio::test]
async fn a_published_message_is_delivered_with_its_metadata_and_acked_away() {
    let queue = Queue::new(fast_settings());
    let entry = queue.producer().publish(file(1)).await.expect("publish");
    let consumer = queue.consumer("a");
    let deliveries = consumer.receive(10).await.expect("receive");
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(delivery.id, entry);
    assert_eq!(delivery.delivery_count, 1);
    assert_eq!(delivery.message.camera_id, "front_door");
    let meta = delivery.message.meta.as_ref().expect("meta stamped");
    assert!(!meta.message_id.is_empty());
    assert_eq!(meta.producer, "file-watcher");
    assert!(meta.enqueued_at_ms > 1_700_000_000_000);
    assert!(trace::trace_id(&meta.trace.as_ref().expect("trace").traceparent).is_some());

    let stats = queue.stats().await;
    assert_eq!(
        (stats.length, stats.pending),
        (1, 1),
        "delivered, not yet acknowledged"
    );
    assert_eq!(consumer.ack(&[&delivery.id]).await.expect("ack"), 1);
    let stats = queue.stats().await;
    assert_eq!((stats.length, stats.pending, stats.dead_letters), (0, 0, 0));
    assert!(
        consumer.receive(10).await.expect("receive").is_empty(),
        "nothing is delivered twice"
    );
}

#[tokio::test]
async fn a_message_held_by_a_dead_consumer_goes_to_another_after_the_visibility_timeout() {
    let queue = Queue::new(fast_settings());
    queue.producer().publish(file(1)).await.expect("publish");
    let doomed = queue.consumer("doomed");
    let taken = doomed.receive(1).await.expect("receive");
    assert_eq!(taken.len(), 1);
    drop(doomed); // dies without acknowledging

    let survivor = queue.consumer("survivor");
    assert!(
        survivor.receive(1).await.expect("receive").is_empty(),
        "not reclaimed while the visibility timeout runs"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    let reclaimed = survivor.receive(1).await.expect("receive");
    assert_eq!(reclaimed.len(), 1, "reclaimed after the timeout");
    assert_eq!(reclaimed[0].id, taken[0].id);
    assert_eq!(reclaimed[0].delivery_count, 2);
    assert_eq!(reclaimed[0].message, taken[0].message);
}

#[tokio::test]
async fn a_poison_message_lands_in_the_dead_letters_after_n_deliveries_with_its_error() {
    let queue = Queue::new(fast_settings());
    let good = file(1);
    let poison = FileMessage {
        camera_id: "poison".into(),
        ..file(2)
    };
    queue.producer().publish(poison).await.expect("publish");
    queue.producer().publish(good).await.expect("publish");

    let handled: Arc<Mutex<Vec<(String, u32)>>> = Arc::default();
    let seen = handled.clone();
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(consume(
        queue.consumer("w"),
        ConsumeOptions {
            concurrency: 2,
            ..Default::default()
        },
        shutdown.clone(),
        move |delivery| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push((delivery.message.camera_id.clone(), delivery.delivery_count));
                if delivery.message.camera_id == "poison" {
                    Err(HandlerError::Retry(format!(
                        "cannot decode image (attempt {})",
                        delivery.delivery_count
                    )))
                } else {
                    Ok(())
                }
            }
        },
    ));

    eventually("the dead letter", || async {
        queue.stats().await.dead_letters == 1
    })
    .await;
    shutdown.cancel();
    worker.await.expect("worker stops");

    let letters = DeadLetter::list(&queue.pool, &queue.redis.prefix, "files", 10)
        .await
        .expect("list");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].deliveries, 3);
    assert_eq!(letters[0].error, "cannot decode image (attempt 3)");
    let buried = FileMessage::decode(letters[0].payload.as_slice()).expect("payload kept");
    assert_eq!(buried.camera_id, "poison");

    let handled = handled.lock().unwrap().clone();
    let poison_attempts: Vec<u32> = handled
        .iter()
        .filter(|(c, _)| c == "poison")
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(
        poison_attempts,
        [1, 2, 3],
        "tried exactly max_deliveries times"
    );
    assert_eq!(
        handled.iter().filter(|(c, _)| c == "front_door").count(),
        1,
        "the good message is unaffected"
    );
    let stats = queue.stats().await;
    assert_eq!((stats.length, stats.pending), (0, 0));
}

#[tokio::test]
async fn an_undecodable_entry_is_dead_lettered_without_retries() {
    let queue = Queue::new(fast_settings());
    let mut conn = queue.pool.get().await.expect("conn");
    let stream = format!("{}stream:files", queue.redis.prefix);
    let _: String = redis::cmd("XADD")
        .arg(&stream)
        .arg("*")
        .arg("payload")
        .arg(b"\xff\xff not protobuf".as_slice())
        .query_async(&mut *conn)
        .await
        .expect("xadd");
    let consumer = queue.consumer("a");
    assert!(consumer.receive(10).await.expect("receive").is_empty());
    let letters = DeadLetter::list(&queue.pool, &queue.redis.prefix, "files", 10)
        .await
        .expect("list");
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].error.starts_with("undecodable files payload"),
        "{}",
        letters[0].error
    );
    assert_eq!(queue.stats().await.length, 0);
}

#[tokio::test]
async fn a_full_stream_refuses_the_producer_until_work_is_finished() {
    let queue = Queue::new(QueueSettings {
        max_stream_length: 3,
        ..fast_settings()
    });
    let producer = queue.producer();
    for n in 0..3 {
        producer.publish(file(n)).await.expect("room");
    }
    match producer.publish(file(3)).await {
        Err(QueueError::Backpressure {
            length,
            limit,
            stream,
        }) => {
            assert_eq!((length, limit), (3, 3));
            assert!(stream.ends_with("stream:files"));
        }
        other => panic!("expected backpressure, got {other:?}"),
    }
    let consumer = queue.consumer("a");
    let delivered = consumer.receive(1).await.expect("receive");
    // Delivered but unacknowledged work still counts against the limit.
    assert!(matches!(
        producer.publish(file(3)).await,
        Err(QueueError::Backpressure { .. })
    ));
    consumer.ack(&[&delivered[0].id]).await.expect("ack");
    producer
        .publish(file(3))
        .await
        .expect("room again after an ack");
}

#[tokio::test]
async fn every_message_reaches_exactly_one_live_consumer_even_when_work_outlasts_the_timeout() {
    let queue = Queue::new(fast_settings());
    let producer = queue.producer();
    let total = 120;
    for n in 0..total {
        producer.publish(file(n)).await.expect("publish");
    }

    let handled: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let holders: Arc<Mutex<HashSet<String>>> = Arc::default();
    let overlaps: Arc<Mutex<Vec<String>>> = Arc::default();
    let shutdown = CancellationToken::new();
    let mut workers = Vec::new();
    for name in ["a", "b", "c"] {
        let (handled, holders, overlaps) = (handled.clone(), holders.clone(), overlaps.clone());
        workers.push(tokio::spawn(consume(
            queue.consumer(name),
            ConsumeOptions {
                concurrency: 4,
                ..Default::default()
            },
            shutdown.clone(),
            move |delivery| {
                let (handled, holders, overlaps) =
                    (handled.clone(), holders.clone(), overlaps.clone());
                async move {
                    let path = delivery.message.path_display.clone();
                    if !holders.lock().unwrap().insert(path.clone()) {
                        overlaps.lock().unwrap().push(path.clone());
                    }
                    // Every tenth message takes longer than the visibility timeout: the
                    // lease keeper must stop the other consumers reclaiming it.
                    let n: usize = path
                        .trim_end_matches(".jpg")
                        .rsplit('/')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap();
                    let work = if n.is_multiple_of(10) { 700 } else { 5 };
                    tokio::time::sleep(Duration::from_millis(work)).await;
                    holders.lock().unwrap().remove(&path);
                    *handled.lock().unwrap().entry(path).or_default() += 1;
                    Ok(())
                }
            },
        )));
    }

    eventually("every message handled", || async {
        handled.lock().unwrap().len() == total
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await; // room for a wrongful redelivery
    shutdown.cancel();
    for worker in workers {
        worker.await.expect("worker stops");
    }
    let handled = handled.lock().unwrap().clone();
    let twice: Vec<_> = handled.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "handled more than once: {twice:?}");
    assert!(
        overlaps.lock().unwrap().is_empty(),
        "held by two consumers at once"
    );
    let stats = queue.stats().await;
    assert_eq!((stats.length, stats.pending, stats.dead_letters), (0, 0, 0));
}

#[tokio::test]
async fn shutdown_drains_in_flight_work_before_returning() {
    let queue = Queue::new(fast_settings());
    queue.producer().publish(file(1)).await.expect("publish");
    let finished = Arc::new(Mutex::new(false));
    let done = finished.clone();
    let started = Arc::new(tokio::sync::Notify::new());
    let begin = started.clone();
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(consume(
        queue.consumer("a"),
        ConsumeOptions::default(),
        shutdown.clone(),
        move |_| {
            let (done, begin) = (done.clone(), begin.clone());
            async move {
                begin.notify_one();
                tokio::time::sleep(Duration::from_millis(300)).await;
                *done.lock().unwrap() = true;
                Ok(())
            }
        },
    ));
    started.notified().await;
    shutdown.cancel();
    worker.await.expect("worker stops");
    assert!(
        *finished.lock().unwrap(),
        "the in-flight message finished before consume returned"
    );
    assert_eq!(queue.stats().await.pending, 0, "and was acknowledged");
}

#[tokio::test]
async fn consumers_ride_out_a_redis_outage_and_resume() {
    let mut server = RedisServer::start();
    let settings = hsi_core::settings::RedisSettings {
        url: hsi_core::settings::SecretUrl::new(server.url()),
        key_prefix: "outage:".into(),
        pool_size: 4,
    };
    let pool = redis_pool(&settings).expect("pool");
    let producer: Producer<FileMessage> =
        Producer::new(pool.clone(), "outage:", &fast_settings(), "test");
    let consumer = Arc::new(Consumer::<FileMessage>::new(
        pool.clone(),
        "outage:",
        GROUP,
        "a",
        &fast_settings(),
    ));
    let handled: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = handled.clone();
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(consume(
        consumer,
        ConsumeOptions::default(),
        shutdown.clone(),
        move |delivery| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(delivery.message.path_display);
                Ok(())
            }
        },
    ));

    producer.publish(file(1)).await.expect("publish");
    eventually("the first message", || async {
        handled.lock().unwrap().len() == 1
    })
    .await;

    server.stop();
    assert!(
        producer.publish(file(2)).await.is_err(),
        "a producer sees the outage as an error"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !worker.is_finished(),
        "the consumer waits instead of giving up"
    );

    server.restart(); // empty: no persistence, so the group must be recreated
    eventually("the producer reconnecting", || async {
        producer.publish(file(3)).await.is_ok()
    })
    .await;
    eventually("the message after the outage", || async {
        handled
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.ends_with("/3.jpg"))
    })
    .await;
    shutdown.cancel();
    worker.await.expect("worker stops cleanly");
}
