//! The file ledger: PostgreSQL, not a Redis key with a TTL, remembers every file, so a
//! restart long after (or with an empty Redis) replays nothing, refusals are recorded
//! with their reason, and accepted files whose message was lost are enqueued again.

mod support;

use hsi_db::entities::enums::MediaFileState;
use hsi_db::entities::media_files;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::time::Duration;
use support::{copy_photo, eventually, sha256_of, Harness};

async fn ledger(harness: &Harness) -> Vec<media_files::Model> {
    media_files::Entity::find()
        .order_by_asc(media_files::Column::Id)
        .all(&harness.db.conn)
        .await
        .expect("ledger")
}

/// Deletes every Redis key of the test's prefix: Redis lost everything.
fn wipe_redis(harness: &Harness) {
    let keys = harness.redis.keys();
    if keys.is_empty() {
        return;
    }
    let mut conn = redis::Client::open(harness.redis.url.as_str())
        .and_then(|c| c.get_connection())
        .expect("redis");
    let _: () = redis::cmd("DEL").arg(keys).query(&mut conn).expect("del");
}

/// Reproduces "a restart replays the archive as new activity": files seen a month ago
/// (the Redis TTL era long over, Redis itself empty) are not enqueued again.
#[tokio::test]
async fn a_restart_a_month_later_with_an_empty_redis_replays_nothing() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("driveway", "driveway").await;
    for name in ["person.jpg", "dog.jpg", "horses.jpg"] {
        copy_photo(name, &folder.join(name));
    }
    harness.messages(3).await;
    harness.stop().await;

    // A month passes: the records age, and Redis forgets everything.
    harness
        .db
        .conn
        .execute_unprepared(
            "UPDATE media_files SET created_at = now() - interval '30 days', \
                    observed_at = now() - interval '30 days', enqueued_at = now() - interval '30 days'",
        )
        .await
        .expect("age the ledger");
    wipe_redis(&harness);

    harness.start();
    harness.camera("driveway").await;
    harness.no_more_messages().await;
    harness.stop().await;
    let rows = ledger(&harness).await;
    assert_eq!(
        rows.len(),
        3,
        "one row per file, none added by the restart: {rows:#?}"
    );
    assert!(rows.iter().all(|r| r.state == MediaFileState::Accepted));
}

#[tokio::test]
async fn duplicates_and_refusals_are_recorded_with_their_reason() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("porch", "porch").await;
    let original = copy_photo("person.jpg", &folder.join("first.jpg"));
    harness.messages(1).await;
    copy_photo("person.jpg", &folder.join("same again.jpg"));
    std::fs::write(
        folder.join("text.jpg"),
        "not a picture, just text. ".repeat(20),
    )
    .expect("write");
    harness.no_more_messages().await;
    eventually("the refusal recorded", || async {
        ledger(&harness).await.len() == 3
    })
    .await;
    harness.stop().await;

    let rows = ledger(&harness).await;
    let accepted = rows
        .iter()
        .find(|r| r.state == MediaFileState::Accepted)
        .expect("accepted");
    assert_eq!(
        accepted.sha256.as_deref(),
        Some(sha256_of(&original).as_str())
    );
    assert_eq!(accepted.camera_id.as_deref(), Some("porch"));
    assert!(accepted.enqueued_at.is_some() && accepted.stream_entry.is_some());
    assert_eq!(accepted.enqueue_count, 1);
    let duplicate = rows
        .iter()
        .find(|r| r.state == MediaFileState::Duplicate)
        .expect("duplicate");
    assert_eq!(duplicate.duplicate_of, Some(accepted.id));
    let refused = rows
        .iter()
        .find(|r| r.state == MediaFileState::Refused)
        .expect("refused");
    assert_eq!(refused.refusal_reason.as_deref(), Some("undecodable_image"));
    assert!(refused.path.ends_with("text.jpg"));
    assert!(!refused
        .refusal_detail
        .as_deref()
        .unwrap_or_default()
        .is_empty());
}

/// A watcher that died after recording a file and before publishing it: the recovery
/// sweep finds the accepted, never-enqueued file and enqueues it.
#[tokio::test]
async fn a_file_recorded_but_never_enqueued_is_enqueued_by_the_recovery_sweep() {
    let mut harness = Harness::new().await;
    let folder = harness.root().join("shed");
    std::fs::create_dir(&folder).expect("folder");
    let file = copy_photo("dog.jpg", &folder.join("dog.jpg"));
    let sha = sha256_of(&file);
    harness
        .db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO cameras (id, name, folder_path) VALUES ('shed', 'shed', '{folder}');
             INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, sha256, media_kind,
                                      file_type, state, message_id, created_at)
             VALUES ('shed', '{path}', convert_to('{path}', 'UTF8'), 1, '{sha}', 'image', 'jpg',
                     'accepted', 'dead-watcher-1', now() - interval '10 minutes')",
            folder = folder.display(),
            path = file.display(),
        ))
        .await
        .expect("a ledger row without an enqueue");
    let mut settings = harness.settings();
    settings.watcher.recovery_grace_secs = 1;
    settings.watcher.catch_up = false;
    harness.start_with(settings);

    let messages = harness.messages(1).await;
    let meta = messages[0].meta.as_ref().expect("meta");
    assert_eq!(
        meta.message_id, "dead-watcher-1",
        "the same message id, so workers dedupe"
    );
    assert_eq!(messages[0].sha256, sha);
    assert!(messages[0].media_file_id > 0);
    harness.stop().await;
    let row = ledger(&harness).await.remove(0);
    assert_eq!(row.enqueue_count, 1);
    assert!(row.stream_entry.is_some());
}

/// Reproduces "losing Redis loses work" at the first stage: the message of an accepted
/// file vanishes with Redis before any worker processed it; the sweep enqueues it again,
/// and gives up (with the reason in the ledger) after `max_enqueues`.
#[tokio::test]
async fn a_message_lost_with_redis_is_enqueued_again_and_given_up_after_max_enqueues() {
    let mut harness = Harness::new().await;
    let mut settings = harness.settings();
    settings.watcher.recovery_interval_secs = 1;
    settings.watcher.recovery_grace_secs = 1;
    settings.watcher.max_enqueues = 2;
    harness.start_with(settings);
    let folder = harness.camera_folder("gate", "gate").await;
    copy_photo("kite.jpg", &folder.join("kite.jpg"));
    eventually("the file enqueued", || async {
        ledger(&harness)
            .await
            .first()
            .is_some_and(|r| r.enqueue_count == 1)
    })
    .await;
    // Nobody processed it, and Redis loses the message: enqueued again.
    wipe_redis(&harness);
    eventually("the file enqueued again", || async {
        ledger(&harness).await[0].enqueue_count == 2
    })
    .await;
    let first = harness.messages(1).await.remove(0);
    // Lost once more: this time it is given up on, with its reason.
    wipe_redis(&harness);
    eventually("the file abandoned", || async {
        ledger(&harness).await[0].state == MediaFileState::Abandoned
    })
    .await;
    harness.stop().await;
    let row = ledger(&harness).await.remove(0);
    assert_eq!(row.refusal_reason.as_deref(), Some("not_processed"));
    assert!(row
        .refusal_detail
        .as_deref()
        .unwrap_or_default()
        .contains("enqueued 2 times"));
    assert_eq!(
        first.meta.expect("meta").message_id,
        row.message_id.expect("message id")
    );
}

/// A processed file is never enqueued again, even when its message is long gone.
#[tokio::test]
async fn a_processed_file_is_not_enqueued_again() {
    let mut harness = Harness::new().await;
    let mut settings = harness.settings();
    settings.watcher.recovery_interval_secs = 1;
    settings.watcher.recovery_grace_secs = 1;
    harness.start_with(settings);
    let folder = harness.camera_folder("yard", "yard").await;
    copy_photo("eagle.jpg", &folder.join("eagle.jpg"));
    let message = harness.messages(1).await.remove(0);
    // The detection worker records it as processed (found nothing), then Redis is lost.
    harness
        .db
        .conn
        .execute_unprepared(&format!(
            "INSERT INTO processed_files (message_id, media_file_id, outcome) VALUES ('{}', {}, 'detected')",
            message.meta.expect("meta").message_id,
            message.media_file_id
        ))
        .await
        .expect("processed");
    wipe_redis(&harness);
    tokio::time::sleep(Duration::from_secs(3)).await;
    harness.no_more_messages().await;
    harness.stop().await;
    let rows = media_files::Entity::find()
        .filter(media_files::Column::EnqueueCount.gt(1))
        .all(&harness.db.conn)
        .await
        .expect("ledger");
    assert!(rows.is_empty(), "{rows:#?}");
}
