//! The file-watcher against the real PostgreSQL and Redis, on a temporary camera root.

mod support;

use chrono::Utc;
use hsi_db::entities::cameras;
use hsi_file_watcher::WatchMode;
use hsi_proto::v1::MediaKind;
use hsi_testkit::{photo, RedisServer};
use sea_orm::{ActiveModelTrait, ActiveValue, EntityTrait, PaginatorTrait};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use support::{copy_photo, sha256_of, Harness};

fn path_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}

#[tokio::test]
async fn photos_in_a_new_camera_folder_register_the_camera_and_are_enqueued() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("Front Door", "front_door").await;
    let person = copy_photo("person.jpg", &folder.join("person.jpg"));
    let dog = copy_photo("dog.jpg", &folder.join("dog.jpg"));

    let mut messages = harness.messages(2).await;
    messages.sort_by(|a, b| a.path.cmp(&b.path));
    for (message, file) in messages.iter().zip([&dog, &person]) {
        assert_eq!(message.camera_id, "front_door");
        assert_eq!(message.media_kind, MediaKind::Image as i32);
        assert_eq!(message.file_type, "jpg");
        assert_eq!(
            message.size_bytes,
            std::fs::metadata(file).expect("stat").len()
        );
        assert_eq!(message.sha256, sha256_of(file));
        assert_eq!(message.path, path_bytes(file));
        assert_eq!(message.path_display, file.to_string_lossy());
        assert!(message.observed_at_ms > 1_700_000_000_000);
        let meta = message.meta.as_ref().expect("meta");
        assert_eq!(meta.producer, "file-watcher");
        assert!(!meta.message_id.is_empty());
    }
    let camera = harness.camera("front_door").await;
    assert_eq!(camera.name, "Front Door");
    assert!(
        camera.folder_path.ends_with("Front Door"),
        "{}",
        camera.folder_path
    );
    assert_eq!(camera.status, "online");
    assert!(camera.last_seen_at.is_some());
    harness.no_more_messages().await;
    harness.stop().await;
}

#[tokio::test]
async fn the_same_picture_twice_is_enqueued_once() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("garage", "garage").await;
    copy_photo("person.jpg", &folder.join("first.jpg"));
    harness.messages(1).await;
    copy_photo("person.jpg", &folder.join("again under another name.jpg"));
    harness.no_more_messages().await;
    harness.stop().await;
}

#[tokio::test]
async fn broken_files_are_refused_and_the_service_keeps_going() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("porch", "porch").await;
    let jpeg = std::fs::read(photo("person.jpg")).expect("read photo");
    std::fs::write(folder.join("truncated.jpg"), &jpeg[..jpeg.len() / 2]).expect("write");
    std::fs::write(folder.join("empty.jpg"), b"").expect("write");
    std::fs::write(
        folder.join("text.jpg"),
        "not a picture, just text. ".repeat(20),
    )
    .expect("write");
    std::os::unix::fs::symlink("/etc/passwd", folder.join("passwd.jpg")).expect("symlink");
    // Give the refusals a head start so the valid file comes last.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let valid = copy_photo("dog.jpg", &folder.join("valid.jpg"));

    let messages = harness.messages(1).await;
    assert_eq!(messages[0].path, path_bytes(&valid));
    harness.no_more_messages().await;
    assert!(harness.is_running());
    harness.stop().await;
}

#[tokio::test]
async fn hidden_and_temporary_names_are_ignored_until_renamed_into_place() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("yard", "yard").await;
    copy_photo("dog.jpg", &folder.join(".hidden.jpg"));
    copy_photo("horses.jpg", &folder.join("x.jpg.part"));
    copy_photo("kite.jpg", &folder.join("x.jpg~"));
    let part = copy_photo("person.jpg", &folder.join("upload.jpg.part"));
    let upload = folder.join("upload.jpg");
    std::fs::rename(&part, &upload).expect("rename into place");

    let messages = harness.messages(1).await;
    assert_eq!(messages[0].path, path_bytes(&upload));
    harness.no_more_messages().await;
    harness.stop().await;
}

#[tokio::test]
async fn odd_file_names_keep_their_exact_bytes() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("Back Yard 2", "back_yard_2").await;
    let unicode = copy_photo("person.jpg", &folder.join("été photo #1.jpg"));
    let invalid = copy_photo("dog.jpg", &folder.join(OsStr::from_bytes(b"cam\xff.jpg")));

    let messages = harness.messages(2).await;
    let mut paths: Vec<Vec<u8>> = messages.iter().map(|m| m.path.clone()).collect();
    paths.sort();
    let mut expected = vec![path_bytes(&unicode), path_bytes(&invalid)];
    expected.sort();
    assert_eq!(paths, expected);
    assert!(messages.iter().all(|m| m.camera_id == "back_yard_2"));
    let lossy = messages
        .iter()
        .find(|m| m.path == path_bytes(&invalid))
        .expect("message for the non-utf-8 name");
    assert!(
        lossy.path_display.ends_with("cam\u{FFFD}.jpg"),
        "{}",
        lossy.path_display
    );
    harness.stop().await;
}

#[tokio::test]
async fn files_that_arrived_while_stopped_are_caught_up_once() {
    let mut harness = Harness::new().await;
    let folder = harness.root().join("Side Gate");
    std::fs::create_dir(&folder).expect("mkdir");
    copy_photo("person.jpg", &folder.join("a.jpg"));
    copy_photo("dog.jpg", &folder.join("b.jpg"));
    harness.start();
    harness.messages(2).await;
    assert_eq!(harness.camera("side_gate").await.name, "Side Gate");
    harness.stop().await;

    let late = copy_photo("horses.jpg", &folder.join("c.jpg"));
    harness.start();
    let messages = harness.messages(1).await;
    assert_eq!(messages[0].path, path_bytes(&late));
    harness.no_more_messages().await;
    harness.stop().await;
}

#[tokio::test]
async fn poll_mode_picks_up_new_files() {
    let mut harness = Harness::new().await;
    std::fs::create_dir(harness.root().join("warm up")).expect("mkdir");
    let mut settings = harness.settings();
    settings.watcher.mode = WatchMode::Poll;
    harness.start_with(settings);
    // The catch-up registers this camera only once the poll watcher has taken its first
    // look, so what is created from here on can only be seen by polling.
    harness.camera("warm_up").await;
    let folder = harness.camera_folder("nfs cam", "nfs_cam").await;
    let file = copy_photo("kite.jpg", &folder.join("kite.jpg"));
    let messages = harness.messages(1).await;
    assert_eq!(messages[0].path, path_bytes(&file));
    assert_eq!(messages[0].camera_id, "nfs_cam");
    harness.stop().await;
}

#[tokio::test]
async fn a_video_is_accepted_and_a_text_file_named_mp4_is_refused() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("driveway", "driveway").await;
    let work = tempfile::tempdir().expect("temp dir");
    let clip = work.path().join("clip.mp4");
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-loop", "1", "-i"])
        .arg(photo("person.jpg"))
        .args([
            "-t",
            "2",
            "-r",
            "5",
            "-pix_fmt",
            "yuv420p",
            "-vf",
            "scale=320:-2",
        ])
        .arg(&clip)
        .status()
        .await
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg made the clip");
    std::fs::write(
        folder.join("fake.mp4"),
        "this is not a video at all. ".repeat(10),
    )
    .expect("write");
    let placed = folder.join("clip.mp4");
    std::fs::copy(&clip, &placed).expect("copy clip");

    let messages = harness.messages(1).await;
    assert_eq!(messages[0].path, path_bytes(&placed));
    assert_eq!(messages[0].media_kind, MediaKind::Video as i32);
    assert_eq!(messages[0].file_type, "mp4");
    assert_eq!(messages[0].sha256, sha256_of(&placed));
    harness.no_more_messages().await;
    harness.stop().await;
}

#[tokio::test]
async fn unknown_extensions_and_unusable_folders_are_refused() {
    let mut harness = Harness::new().await;
    harness.start();
    let folder = harness.camera_folder("shed", "shed").await;
    std::fs::write(
        folder.join("notes.txt"),
        "camera notes, not media. ".repeat(10),
    )
    .expect("write");
    let nameless = harness.root().join("___");
    std::fs::create_dir(&nameless).expect("mkdir");
    copy_photo("dog.jpg", &nameless.join("a.jpg"));
    copy_photo("eagle.jpg", &harness.root().join("in the root.jpg"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let valid = copy_photo("kite.jpg", &folder.join("ok.jpg"));

    let messages = harness.messages(1).await;
    assert_eq!(messages[0].path, path_bytes(&valid));
    harness.no_more_messages().await;
    let cameras = cameras::Entity::find()
        .count(&harness.db.conn)
        .await
        .expect("count");
    assert_eq!(cameras, 1, "only the shed camera is registered");
    harness.stop().await;
}

#[tokio::test]
async fn a_deleted_camera_gets_no_files() {
    let mut harness = Harness::new().await;
    harness.start();
    let gone = harness.camera_folder("old cam", "old_cam").await;
    let camera = harness.camera("old_cam").await;
    let mut deleted: cameras::ActiveModel = camera.into();
    deleted.deleted_at = ActiveValue::Set(Some(Utc::now()));
    deleted.update(&harness.db.conn).await.expect("soft delete");
    copy_photo("person.jpg", &gone.join("a.jpg"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let live = harness.camera_folder("new cam", "new_cam").await;
    let file = copy_photo("dog.jpg", &live.join("b.jpg"));

    let messages = harness.messages(1).await;
    assert_eq!(messages[0].path, path_bytes(&file));
    harness.no_more_messages().await;
    harness.stop().await;
}

#[tokio::test]
async fn a_file_waits_out_a_redis_outage_and_is_enqueued_when_it_returns() {
    let mut redis_server = RedisServer::start();
    let mut harness = Harness::new().await;
    let mut settings = harness.settings();
    settings.redis.url = hsi_core::settings::SecretUrl::new(redis_server.url());
    redis_server.stop();
    harness.start_with(settings);
    let folder = harness.camera_folder("attic", "attic").await;
    let file = copy_photo("giraffe.jpg", &folder.join("g.jpg"));
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(harness.is_running(), "redis being down is not fatal");
    redis_server.restart();

    let pool = hsi_queue::redis_pool(&hsi_core::settings::RedisSettings {
        url: hsi_core::settings::SecretUrl::new(redis_server.url()),
        ..harness.redis.settings()
    })
    .expect("pool");
    let consumer = hsi_queue::Consumer::<hsi_proto::v1::FileMessage>::new(
        pool,
        &harness.redis.prefix,
        "detection-worker",
        "test",
        &support::queue_settings(),
    );
    let deadline = tokio::time::Instant::now() + support::DEADLINE;
    let received = loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for the file after the outage"
        );
        // Errors while the server is still coming up are expected.
        let deliveries = consumer.receive(1).await.unwrap_or_default();
        if let Some(delivery) = deliveries.into_iter().next() {
            break delivery.message;
        }
    };
    assert_eq!(received.path, path_bytes(&file));
    harness.stop().await;
}

#[tokio::test]
async fn postgresql_being_unreachable_is_waited_out_not_fatal() {
    let mut harness = Harness::new().await;
    let mut settings = harness.settings();
    settings.database.url =
        hsi_core::settings::SecretUrl::new("postgres://hsi_file_watcher:hsi@127.0.0.1:1/hsi");
    harness.start_with(settings);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(harness.is_running(), "still trying to connect");
    harness.stop().await;
}
