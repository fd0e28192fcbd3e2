//! The detection worker against the real PostgreSQL, Redis and detector: files in,
//! detections rows, thumbnails and messages out; idempotent on redelivery.

use hsi_core::Service;
use hsi_db::entities::detections;
use hsi_detection_worker::{run, Pipeline, Settings};
use hsi_detector::{Detector, DetectorHandle};
use hsi_proto::v1::{DetectionsMessage, FileMessage, MediaKind};
use hsi_queue::{queue_stats, redis_pool, Consumer, DeadLetter, Producer, QueueSettings};
use hsi_testkit::{centernet_model, photo, TestDatabase, TestRedis};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

struct World {
    db: TestDatabase,
    redis: TestRedis,
    dir: tempfile::TempDir,
    settings: Settings,
}

impl World {
    async fn new() -> Self {
        let db = TestDatabase::migrated().await;
        db.conn
            .execute_unprepared("INSERT INTO cameras (id, name, folder_path) VALUES ('front_door', 'Front Door', '/cams/Front Door')")
            .await
            .expect("camera");
        let redis = TestRedis::new();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = Settings::default();
        settings.database.url =
            hsi_core::settings::SecretUrl::new(db.url_for(Service::DetectionWorker));
        settings.redis = redis.settings();
        settings.queue = QueueSettings {
            visibility_timeout_ms: 500,
            block_ms: 100,
            retry_base_ms: 50,
            ..QueueSettings::default()
        };
        settings.detector.model_path = centernet_model();
        settings.detector.device = "cpu".into();
        settings.worker.thumbnails_dir = dir.path().join("thumbnails");
        settings.worker.video_frame_interval_secs = 1.0;
        settings.worker.video_max_frames = 3;
        settings.grpc.listen = None;
        Self {
            db,
            redis,
            dir,
            settings,
        }
    }

    fn pool(&self) -> hsi_queue::RedisPool {
        redis_pool(&self.redis.settings()).expect("pool")
    }

    async fn enqueue(&self, path: &Path, kind: MediaKind) -> String {
        let producer: Producer<FileMessage> = Producer::new(
            self.pool(),
            &self.redis.prefix,
            &self.settings.queue,
            "test",
        );
        let message = FileMessage {
            camera_id: "front_door".into(),
            path: path.as_os_str().as_bytes().to_vec(),
            path_display: path.display().to_string(),
            media_kind: kind as i32,
            file_type: path
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default(),
            observed_at_ms: 1_763_700_000_000,
            ..FileMessage::default()
        };
        producer.publish(message).await.expect("enqueue")
    }

    async fn rows(&self) -> Vec<detections::Model> {
        detections::Entity::find()
            .order_by_asc(detections::Column::Id)
            .all(&self.db.conn)
            .await
            .expect("rows")
    }

    async fn detections_messages(&self) -> Vec<DetectionsMessage> {
        let consumer: Consumer<DetectionsMessage> = Consumer::new(
            self.pool(),
            &self.redis.prefix,
            "batch-aggregator",
            "test",
            &self.settings.queue,
        );
        consumer
            .receive(100)
            .await
            .expect("read detections stream")
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    fn start(
        &self,
    ) -> (
        CancellationToken,
        tokio::task::JoinHandle<Result<(), hsi_detection_worker::Error>>,
    ) {
        let token = CancellationToken::new();
        (
            token.clone(),
            tokio::spawn(run(self.settings.clone(), token)),
        )
    }
}

/// A client of the worker's gRPC API, once it serves.
async fn grpc_client(
    url: &str,
    worker: &tokio::task::JoinHandle<Result<(), hsi_detection_worker::Error>>,
) -> hsi_proto::v1::detector_service_client::DetectorServiceClient<tonic::transport::Channel> {
    use hsi_proto::v1::detector_service_client::DetectorServiceClient;
    loop {
        match DetectorServiceClient::connect(url.to_owned()).await {
            Ok(client) => return client,
            Err(_) if !worker.is_finished() => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(err) => panic!("worker ended before serving: {err}"),
        }
    }
}

async fn until<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn an_image_becomes_detection_rows_thumbnails_and_one_message() {
    let world = World::new().await;
    let image = world.dir.path().join("person.jpg");
    std::fs::copy(photo("person.jpg"), &image).expect("copy");
    world.enqueue(&image, MediaKind::Image).await;
    let (stop, worker) = world.start();
    until("detections rows", 60, || async {
        !world.rows().await.is_empty()
    })
    .await;
    let messages = {
        let mut found = Vec::new();
        for _ in 0..50 {
            found = world.detections_messages().await;
            if !found.is_empty() {
                break;
            }
        }
        found
    };
    stop.cancel();
    worker.await.expect("task").expect("worker stops cleanly");

    let rows = world.rows().await;
    let person = rows
        .iter()
        .find(|r| r.object_type.as_deref() == Some("person"))
        .expect("a person row");
    assert!(person.confidence.unwrap() > 0.5);
    assert_eq!(
        (person.media_type.as_deref(), person.file_type.as_deref()),
        (Some("image"), Some("jpg"))
    );
    assert_eq!(
        (person.frame_width, person.frame_height),
        (Some(640), Some(424))
    );
    assert!(
        person.bbox_x.unwrap() > 150 && person.bbox_width.unwrap() > 50,
        "box in original pixels: {person:?}"
    );
    assert_eq!(
        person.detected_at.timestamp_millis(),
        1_763_700_000_000,
        "the time the file was seen"
    );
    let thumbnail = person
        .thumbnail_path
        .as_deref()
        .expect("thumbnail recorded");
    assert!(
        image::open(thumbnail).is_ok(),
        "thumbnail written at {thumbnail}"
    );

    assert_eq!(messages.len(), 1, "one message per file");
    let message = &messages[0];
    assert_eq!(message.camera_id, "front_door");
    let ids: Vec<i64> = rows.iter().map(|r| i64::from(r.id)).collect();
    assert_eq!(
        message.detections.iter().map(|d| d.id).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(message.image_width, 640);
    let stats = queue_stats(
        &world.pool(),
        &world.redis.prefix,
        "files",
        "detection-worker",
    )
    .await
    .expect("stats");
    assert_eq!(
        (stats.length, stats.pending),
        (0, 0),
        "the file message was acknowledged"
    );
}

#[tokio::test]
async fn a_worker_killed_between_inference_and_ack_leaves_no_duplicates_after_redelivery() {
    let world = World::new().await;
    let image = world.dir.path().join("dog.jpg");
    std::fs::copy(photo("dog.jpg"), &image).expect("copy");
    world.enqueue(&image, MediaKind::Image).await;

    // The doomed worker takes the message, runs inference and writes its rows, then dies
    // before acknowledging: exactly the handler the service runs, without the ack.
    let doomed: Consumer<FileMessage> = Consumer::new(
        world.pool(),
        &world.redis.prefix,
        "detection-worker",
        "doomed",
        &world.settings.queue,
    );
    let delivery = doomed
        .receive(1)
        .await
        .expect("receive")
        .pop()
        .expect("a message");
    let detector = DetectorHandle::start(Detector::load(&world.settings.detector).expect("model"))
        .expect("thread");
    let pipeline = Pipeline {
        db: hsi_db::connect(&world.settings.database).await.expect("db"),
        detector,
        producer: Producer::new(
            world.pool(),
            &world.redis.prefix,
            &world.settings.queue,
            "detection-worker",
        ),
        settings: Arc::new(world.settings.worker.clone()),
    };
    pipeline.handle(delivery).await.expect("first processing");
    let first = world.rows().await;
    assert!(first.len() >= 3, "dog, bicycle, car: {first:?}");

    // A healthy worker reclaims the abandoned message after the visibility timeout.
    let (stop, worker) = world.start();
    until("the redelivered message to be acknowledged", 60, || async {
        let stats = queue_stats(
            &world.pool(),
            &world.redis.prefix,
            "files",
            "detection-worker",
        )
        .await
        .expect("stats");
        stats.length == 0
    })
    .await;
    stop.cancel();
    worker.await.expect("task").expect("worker stops cleanly");
    let after = world.rows().await;
    assert_eq!(after, first, "redelivery wrote nothing new");
    let messages = world.detections_messages().await;
    assert_eq!(
        messages.len(),
        2,
        "passed on again, with the same detection ids"
    );
    assert_eq!(messages[0].detections, messages[1].detections);
}

#[tokio::test]
async fn a_video_clip_yields_detections_with_its_media_fields() {
    let world = World::new().await;
    // Three seconds at 640x480: the person for 1.5 s, then the dog.
    let clip = world.dir.path().join("clip.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-loop", "1", "-t", "1.5", "-i"])
        .arg(photo("person.jpg"))
        .args(["-loop", "1", "-t", "1.5", "-i"])
        .arg(photo("dog.jpg"))
        .args(["-filter_complex", "[0]scale=640:480,setsar=1,fps=5[a];[1]scale=640:480,setsar=1,fps=5[b];[a][b]concat=n=2:v=1[v]"])
        .args(["-map", "[v]", "-pix_fmt", "yuv420p", "-c:v", "libx264"])
        .arg(&clip)
        .status()
        .expect("ffmpeg runs");
    assert!(made.success(), "ffmpeg made the clip");
    world.enqueue(&clip, MediaKind::Video).await;
    let (stop, worker) = world.start();
    until("video detections", 90, || async {
        world
            .rows()
            .await
            .iter()
            .any(|r| r.object_type.as_deref() == Some("dog"))
    })
    .await;
    stop.cancel();
    worker.await.expect("task").expect("worker stops cleanly");

    let rows = world.rows().await;
    assert!(
        rows.iter()
            .any(|r| r.object_type.as_deref() == Some("person") && r.frame_index == 0),
        "the person in the first second"
    );
    assert!(
        rows.iter()
            .any(|r| r.object_type.as_deref() == Some("dog") && r.frame_index > 0),
        "the dog later"
    );
    for row in &rows {
        assert_eq!(row.media_type.as_deref(), Some("video"));
        assert_eq!(row.video_codec.as_deref(), Some("h264"));
        assert_eq!((row.video_width, row.video_height), (Some(640), Some(480)));
        let duration = row.duration.expect("duration recorded");
        assert!(
            (2.5..=3.5).contains(&duration),
            "about three seconds: {duration}"
        );
        let offset = row.frame_offset.expect("frame offset recorded");
        assert!(
            (offset - f64::from(row.frame_index)).abs() < 0.25,
            "one frame a second: {row:?}"
        );
    }
}

#[tokio::test]
async fn a_vanished_file_is_dead_lettered_with_a_clear_error_and_nothing_written() {
    let world = World::new().await;
    world
        .enqueue(&world.dir.path().join("gone.jpg"), MediaKind::Image)
        .await;
    let (stop, worker) = world.start();
    until("the dead letter", 60, || async {
        queue_stats(
            &world.pool(),
            &world.redis.prefix,
            "files",
            "detection-worker",
        )
        .await
        .expect("stats")
        .dead_letters
            == 1
    })
    .await;
    stop.cancel();
    worker.await.expect("task").expect("worker stops cleanly");
    let letters = DeadLetter::list(&world.pool(), &world.redis.prefix, "files", 10)
        .await
        .expect("list");
    assert!(
        letters[0].error.contains("gone.jpg"),
        "{}",
        letters[0].error
    );
    assert!(world.rows().await.is_empty());
    // The failure is on record too, so nobody enqueues the file again.
    let record = hsi_db::entities::processed_files::Entity::find()
        .one(&world.db.conn)
        .await
        .expect("query")
        .expect("a processing record");
    assert_eq!(record.outcome, "failed");
    assert!(record.error.unwrap_or_default().contains("gone.jpg"));
}

#[tokio::test]
async fn a_file_that_had_nothing_in_it_is_recorded_as_processed() {
    let world = World::new().await;
    let blank = world.dir.path().join("blank.png");
    image::RgbImage::from_pixel(320, 240, image::Rgb([40, 40, 40]))
        .save(&blank)
        .expect("blank picture");
    let message_id = world.enqueue(&blank, MediaKind::Image).await;
    let (stop, worker) = world.start();
    until("the processing record", 60, || async {
        hsi_db::entities::processed_files::Entity::find()
            .one(&world.db.conn)
            .await
            .expect("query")
            .is_some()
    })
    .await;
    stop.cancel();
    worker.await.expect("task").expect("worker stops cleanly");
    assert!(world.rows().await.is_empty(), "nothing detected");
    let record = hsi_db::entities::processed_files::Entity::find()
        .one(&world.db.conn)
        .await
        .expect("query")
        .expect("record");
    assert_eq!(
        (record.outcome.as_str(), record.detection_count),
        ("detected", 0)
    );
    assert!(!message_id.is_empty());
}

#[tokio::test]
async fn the_grpc_api_requires_its_token_and_refuses_oversized_pictures() {
    use hsi_proto::v1::DetectRequest;

    let mut world = World::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    world.settings.grpc.listen = Some(([127, 0, 0, 1], port).into());
    world.settings.grpc.token = hsi_core::settings::Secret::new("a-long-shared-token-1234");
    world.settings.grpc.max_image_pixels = 1_000_000;
    let (stop, worker) = world.start();
    let url = format!("http://127.0.0.1:{port}");
    let mut client = grpc_client(&url, &worker).await;
    let photo_bytes = std::fs::read(photo("person.jpg")).expect("photo");
    let request = |image: Vec<u8>| DetectRequest {
        image,
        min_confidence: 0.0,
    };

    let anonymous = client
        .detect(request(photo_bytes.clone()))
        .await
        .expect_err("no token");
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    let guessed = client
        .detect(hsi_proto::auth::with_token(
            tonic::Request::new(request(photo_bytes.clone())),
            "a-wrong-token-of-length",
        ))
        .await
        .expect_err("wrong token");
    assert_eq!(guessed.code(), tonic::Code::Unauthenticated);
    let token = "a-long-shared-token-1234";
    client
        .detect(hsi_proto::auth::with_token(
            tonic::Request::new(request(photo_bytes)),
            token,
        ))
        .await
        .expect("the token lets it through");

    // 2,000 x 1,000 pixels: twice the limit, refused from its header.
    let mut big = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(2_000, 1_000))
        .write_to(&mut std::io::Cursor::new(&mut big), image::ImageFormat::Png)
        .expect("encode");
    let refused = client
        .detect(hsi_proto::auth::with_token(
            tonic::Request::new(request(big)),
            token,
        ))
        .await
        .expect_err("too many pixels");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().contains("2000x1000") && refused.message().contains("1000000"),
        "{}",
        refused.message()
    );
    stop.cancel();
    worker.await.expect("task").expect("worker stops cleanly");
}

#[tokio::test]
async fn the_grpc_api_detects_uploaded_bytes_and_reports_health_and_model() {
    use hsi_proto::v1::{DetectRequest, GetModelInfoRequest};
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;

    let mut world = World::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    world.settings.grpc.listen = Some(([127, 0, 0, 1], port).into());
    world.settings.grpc.max_image_bytes = 1024 * 1024;
    let (stop, worker) = world.start();
    let url = format!("http://127.0.0.1:{port}");
    let mut client = grpc_client(&url, &worker).await;

    let bytes = std::fs::read(photo("person.jpg")).expect("photo");
    let response = client
        .detect(DetectRequest {
            image: bytes.clone(),
            min_confidence: 0.0,
        })
        .await
        .expect("detect")
        .into_inner();
    assert_eq!((response.image_width, response.image_height), (640, 424));
    let person = response
        .objects
        .iter()
        .find(|o| o.object_type == "person")
        .expect("a person");
    assert!(person.confidence > 0.5 && person.bbox.as_ref().expect("box").height > 200);

    let strict = client
        .detect(DetectRequest {
            image: bytes,
            min_confidence: 0.99,
        })
        .await
        .expect("detect")
        .into_inner();
    assert!(strict.objects.is_empty(), "nothing is that certain");

    let garbage = client
        .detect(DetectRequest {
            image: b"not an image".to_vec(),
            min_confidence: 0.0,
        })
        .await
        .expect_err("refused");
    assert_eq!(garbage.code(), tonic::Code::InvalidArgument);
    assert!(
        garbage.message().starts_with("image does not decode"),
        "{}",
        garbage.message()
    );
    let empty = client
        .detect(DetectRequest::default())
        .await
        .expect_err("refused");
    assert_eq!(
        (empty.code(), empty.message()),
        (tonic::Code::InvalidArgument, "image is empty")
    );

    let info = client
        .get_model_info(GetModelInfoRequest {})
        .await
        .expect("info")
        .into_inner();
    assert_eq!(
        (
            info.device.as_str(),
            info.output_format.as_str(),
            info.classes.len()
        ),
        ("cpu", "centernet", 80)
    );
    assert!(info.kept_classes.contains(&"person".to_owned()));
    assert_eq!(
        (info.precision.as_str(), info.half_precision),
        ("fp32", false),
        "auto precision is fp32 on the CPU"
    );

    let mut health = HealthClient::new(
        tonic::transport::Channel::from_shared(url)
            .expect("url")
            .connect()
            .await
            .expect("channel"),
    );
    let status = health
        .check(HealthCheckRequest {
            service: "hsi.v1.DetectorService".into(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    stop.cancel();
    worker.await.expect("task").expect("worker stops cleanly");
}
