//! Dead letters looked up, paged and put back on their stream.

mod common;

use common::{file, Queue};
use hsi_proto::v1::FileMessage;
use hsi_queue::{DeadLetter, QueueSettings, Requeued};
use prost::Message;

/// `count` files published, received and dead-lettered; answers their dead-letter ids.
async fn bury(queue: &Queue, count: usize) -> Vec<String> {
    queue.publish(count).await;
    let consumer = queue.consumer("a");
    let deliveries = consumer.receive(count).await.expect("receive");
    assert_eq!(deliveries.len(), count);
    for delivery in &deliveries {
        consumer
            .dead_letter(
                delivery,
                &format!("broken {}", delivery.message.path_display),
            )
            .await
            .expect("dead letter");
    }
    queue
        .dead_letters()
        .await
        .into_iter()
        .map(|d| d.id)
        .collect()
}

async fn stream_files(queue: &Queue) -> Vec<String> {
    let mut conn = queue.pool.get().await.expect("conn");
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(format!("{}stream:files", queue.redis.prefix))
        .arg("-")
        .arg("+")
        .query_async(&mut *conn)
        .await
        .expect("xrange");
    reply
        .ids
        .iter()
        .map(|entry| {
            let payload: Vec<u8> = entry.get("payload").expect("payload");
            let kind: String = entry.get("type").expect("type");
            assert_eq!(kind, "files");
            FileMessage::decode(payload.as_slice())
                .expect("decodes")
                .path_display
        })
        .collect()
}

#[tokio::test]
async fn a_dead_letter_is_found_by_id_with_its_type_and_failure_time() {
    let queue = Queue::new(QueueSettings::default());
    let ids = bury(&queue, 2).await;
    let letter = DeadLetter::get(&queue.pool, &queue.redis.prefix, "files", &ids[1])
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(letter.id, ids[1]);
    assert_eq!(letter.kind, "files");
    assert_eq!(letter.error, "broken /cams/Front Door/1.jpg");
    assert!(letter.failed_at_ms > 1_700_000_000_000);
    let message = FileMessage::decode(letter.payload.as_slice()).expect("payload");
    assert_eq!(message.path_display, "/cams/Front Door/1.jpg");
    assert!(
        DeadLetter::get(&queue.pool, &queue.redis.prefix, "files", "1-1")
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn dead_letters_page_after_an_id() {
    let queue = Queue::new(QueueSettings::default());
    let ids = bury(&queue, 3).await;
    let pool = &queue.pool;
    let prefix = &queue.redis.prefix;
    let first = DeadLetter::list_after(pool, prefix, "files", None, 2)
        .await
        .expect("page");
    assert_eq!(
        first.iter().map(|d| &d.id).collect::<Vec<_>>(),
        [&ids[0], &ids[1]]
    );
    let rest = DeadLetter::list_after(pool, prefix, "files", Some(&ids[1]), 2)
        .await
        .expect("page");
    assert_eq!(rest.iter().map(|d| &d.id).collect::<Vec<_>>(), [&ids[2]]);
}

#[tokio::test]
async fn requeued_letters_go_back_on_the_stream_and_leave_the_dead_letters() {
    let queue = Queue::new(QueueSettings::default());
    let ids = bury(&queue, 3).await;
    assert!(stream_files(&queue).await.is_empty());

    let outcome = DeadLetter::requeue(&queue.pool, &queue.redis.prefix, "files", &[ids[1].clone()])
        .await
        .expect("requeue");
    let Requeued::Done(added) = outcome else {
        panic!("expected the letter requeued, got {outcome:?}");
    };
    assert_eq!(added.len(), 1);
    assert_eq!(stream_files(&queue).await, ["/cams/Front Door/1.jpg"]);
    let left: Vec<String> = queue
        .dead_letters()
        .await
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(left, [ids[0].clone(), ids[2].clone()]);

    // It is delivered afresh: its delivery count starts again.
    let consumer = queue.consumer("b");
    let again = consumer.receive(10).await.expect("receive");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery_count, 1);
    assert_eq!(
        again[0].message,
        FileMessage {
            meta: again[0].message.meta.clone(),
            ..file(1)
        }
    );
}

#[tokio::test]
async fn an_unknown_id_moves_nothing() {
    let queue = Queue::new(QueueSettings::default());
    let ids = bury(&queue, 2).await;
    let outcome = DeadLetter::requeue(
        &queue.pool,
        &queue.redis.prefix,
        "files",
        &[ids[0].clone(), "1-1".to_owned()],
    )
    .await
    .expect("requeue");
    assert_eq!(outcome, Requeued::Missing("1-1".to_owned()));
    assert!(stream_files(&queue).await.is_empty());
    assert_eq!(queue.dead_letters().await.len(), 2);
}

#[tokio::test]
async fn requeue_all_moves_every_letter_in_order() {
    let queue = Queue::new(QueueSettings::default());
    bury(&queue, 3).await;
    let moved = DeadLetter::requeue_all(&queue.pool, &queue.redis.prefix, "files")
        .await
        .expect("requeue all");
    assert_eq!(moved, 3);
    assert!(queue.dead_letters().await.is_empty());
    assert_eq!(
        stream_files(&queue).await,
        [
            "/cams/Front Door/0.jpg",
            "/cams/Front Door/1.jpg",
            "/cams/Front Door/2.jpg"
        ]
    );
    assert_eq!(queue.stats().await.length, 3);
    let none = DeadLetter::requeue_all(&queue.pool, &queue.redis.prefix, "files")
        .await
        .expect("requeue nothing");
    assert_eq!(none, 0);
}

#[tokio::test]
async fn an_id_named_twice_is_requeued_once() {
    let queue = Queue::new(QueueSettings::default());
    let ids = bury(&queue, 1).await;
    let outcome = DeadLetter::requeue(
        &queue.pool,
        &queue.redis.prefix,
        "files",
        &[ids[0].clone(), ids[0].clone()],
    )
    .await
    .expect("requeue");
    assert!(
        matches!(&outcome, Requeued::Done(added) if added.len() == 1),
        "{outcome:?}"
    );
    assert_eq!(stream_files(&queue).await, ["/cams/Front Door/0.jpg"]);
}

#[tokio::test]
async fn requeue_all_moves_more_letters_than_one_script_call_takes() {
    let queue = Queue::new(QueueSettings::default());
    bury(&queue, 250).await;
    let moved = DeadLetter::requeue_all(&queue.pool, &queue.redis.prefix, "files")
        .await
        .expect("requeue all");
    assert_eq!(moved, 250);
    assert!(queue.dead_letters().await.is_empty());
    assert_eq!(queue.stats().await.length, 250);
}
