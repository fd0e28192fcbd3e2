//! The ingest path, file-watcher and detection-worker together against the real
//! PostgreSQL, Redis and detector: files copied into `<root>/Front Door/` become the
//! camera `front_door`, its detections rows and one message per file; duplicates and
//! bad files change nothing; a video clip yields detections with its media fields.

use hsi_core::settings::SecretUrl;
use hsi_core::Service;
use hsi_db::entities::{cameras, detections};
use hsi_proto::v1::DetectionsMessage;
use hsi_queue::QueueSettings;
use hsi_testkit::{centernet_model, photo, TestDatabase, TestRedis};
use prost::Message;
use sea_orm::{EntityTrait, QueryOrder};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn queue() -> QueueSettings {
    QueueSettings {
        block_ms: 100,
        visibility_timeout_ms: 10_000,
        ..QueueSettings::default()
    }
}

/// Every message on the detections stream (nothing consumes it in this test).
async fn detections_messages(redis: &TestRedis) -> Vec<DetectionsMessage> {
    let mut conn = redis::Client::open(redis.url.as_str())
        .expect("redis")
        .get_multiplexed_async_connection()
        .await
        .expect("connection");
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(format!("{}stream:detections", redis.prefix))
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .expect("xrange");
    reply
        .ids
        .iter()
        .map(|entry| match entry.map.get("payload") {
            Some(redis::Value::BulkString(bytes)) => {
                DetectionsMessage::decode(bytes.as_slice()).expect("protobuf")
            }
            other => panic!("no payload: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn files_in_a_camera_folder_become_the_camera_its_detections_and_messages() {
    let db = TestDatabase::migrated().await;
    let redis = TestRedis::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("cameras");
    let folder = root.join("Front Door");
    std::fs::create_dir_all(&folder).expect("folder");

    let mut watcher = hsi_file_watcher::Settings::default();
    watcher.database.url = SecretUrl::new(db.url_for(Service::FileWatcher));
    watcher.redis = redis.settings();
    watcher.queue = queue();
    watcher.watcher.root = root.clone();
    watcher.watcher.stability_ms = 300;
    let mut worker = hsi_detection_worker::Settings::default();
    worker.database.url = SecretUrl::new(db.url_for(Service::DetectionWorker));
    worker.redis = redis.settings();
    worker.queue = queue();
    worker.detector.model_path = centernet_model();
    worker.detector.device = "cpu".into();
    worker.worker.thumbnails_dir = dir.path().join("thumbnails");
    worker.worker.video_frame_interval_secs = 1.0;
    worker.grpc.listen = None;
    let stop = CancellationToken::new();
    let services = [
        tokio::spawn({
            let stop = stop.clone();
            async move {
                hsi_file_watcher::run(watcher, stop)
                    .await
                    .map_err(|e| e.to_string())
            }
        }),
        tokio::spawn({
            let stop = stop.clone();
            async move {
                hsi_detection_worker::run(worker, stop)
                    .await
                    .map_err(|e| e.to_string())
            }
        }),
    ];

    // The good files, the same picture again under another name, and bad ones.
    std::fs::copy(photo("person.jpg"), folder.join("person.jpg")).expect("copy");
    std::fs::copy(photo("dog.jpg"), folder.join("dog.jpg")).expect("copy");
    std::fs::copy(photo("person.jpg"), folder.join("person again.jpg")).expect("copy");
    let bytes = std::fs::read(photo("person.jpg")).expect("photo");
    std::fs::write(folder.join("truncated.jpg"), &bytes[..bytes.len() / 2]).expect("truncated");
    std::fs::write(folder.join("empty.jpg"), b"").expect("empty");
    std::fs::write(
        folder.join("notes.jpg"),
        b"this is not a picture at all, just some text",
    )
    .expect("text");
    std::os::unix::fs::symlink("/etc/passwd", folder.join("passwd.jpg")).expect("symlink");
    let clip = dir.path().join("clip.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-loop", "1", "-t", "2", "-i"])
        .arg(photo("dog.jpg"))
        .args([
            "-vf",
            "scale=640:480,fps=5",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
        ])
        .arg(&clip)
        .status()
        .expect("ffmpeg");
    assert!(made.success());
    std::fs::copy(&clip, folder.join("clip.mp4")).expect("copy clip");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if detections_messages(&redis).await.len() >= 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for three processed files"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // room for anything that should not come
    stop.cancel();
    for service in services {
        service.await.expect("task").expect("service stops cleanly");
    }

    let camera = cameras::Entity::find_by_id("front_door".to_owned())
        .one(&db.conn)
        .await
        .expect("query")
        .expect("camera registered");
    assert_eq!(camera.name, "Front Door");
    let messages = detections_messages(&redis).await;
    let files: BTreeSet<String> = messages
        .iter()
        .map(|m| {
            m.file_path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        messages.len(),
        3,
        "one message per accepted file: {files:?}"
    );
    assert!(
        files.contains("dog.jpg") && files.contains("clip.mp4"),
        "{files:?}"
    );
    assert!(
        files.contains("person.jpg") ^ files.contains("person again.jpg"),
        "the same picture once: {files:?}"
    );

    let rows = detections::Entity::find()
        .order_by_asc(detections::Column::Id)
        .all(&db.conn)
        .await
        .expect("rows");
    let row_files: BTreeSet<String> = rows
        .iter()
        .map(|r| {
            r.file_path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(row_files, files, "rows only for the accepted files");
    assert!(rows.iter().all(|r| r.camera_id == "front_door"));
    let message_ids: BTreeSet<i64> = messages
        .iter()
        .flat_map(|m| m.detections.iter().map(|d| d.id))
        .collect();
    let row_ids: BTreeSet<i64> = rows.iter().map(|r| i64::from(r.id)).collect();
    assert_eq!(message_ids, row_ids, "the messages list exactly the rows");
    let video: Vec<_> = rows
        .iter()
        .filter(|r| r.file_path.ends_with("clip.mp4"))
        .collect();
    assert!(
        video
            .iter()
            .any(|r| r.object_type.as_deref() == Some("dog")),
        "{video:?}"
    );
    for row in video {
        assert_eq!(
            (row.media_type.as_deref(), row.video_codec.as_deref()),
            (Some("video"), Some("h264"))
        );
        assert_eq!((row.video_width, row.video_height), (Some(640), Some(480)));
        assert!(
            row.duration.is_some_and(|d| (1.5..=2.5).contains(&d)),
            "{row:?}"
        );
    }
}
