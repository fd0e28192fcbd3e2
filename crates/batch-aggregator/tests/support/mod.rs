//! An aggregator with its own Redis prefix, helpers to build detections messages and to
//! read what was published on the batches stream.

#![allow(dead_code)] // each test binary uses a different part

use hsi_batch_aggregator::{Aggregator, Error, Settings};
use hsi_proto::v1::{BatchMessage, Detection, DetectionsMessage, MessageMeta};
use hsi_queue::{redis_pool, QueueSettings, RedisPool};
use hsi_testkit::TestRedis;
use prost::Message;
use redis::streams::StreamRangeReply;
use redis::Value;
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// 2026-01-05T10:00:00Z, a Monday: the explicit "now" of the batching tests.
pub const T0: i64 = 1_767_607_200_000;
/// Milliseconds in a second, for readable offsets from [`T0`].
pub const SEC: i64 = 1000;

pub struct World {
    pub redis: TestRedis,
    pub pool: RedisPool,
    pub settings: Settings,
}

impl World {
    /// Default batching rules on a fresh prefix, with a quick queue for running services.
    pub fn new() -> Self {
        let redis = TestRedis::new();
        let pool = redis_pool(&redis.settings()).expect("redis pool");
        let mut settings = Settings::default();
        settings.redis = redis.settings();
        settings.queue = QueueSettings {
            block_ms: 100,
            visibility_timeout_ms: 2_000,
            ..QueueSettings::default()
        };
        Self {
            redis,
            pool,
            settings,
        }
    }

    pub fn aggregator(&self) -> Aggregator {
        Aggregator::new(self.pool.clone(), &self.settings)
    }

    /// Everything published on the batches stream so far, in order.
    pub async fn published(&self) -> Vec<BatchMessage> {
        let mut conn = self.pool.get().await.expect("redis");
        let stream = format!("{}stream:batches", self.redis.prefix);
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(&stream)
            .arg("-")
            .arg("+")
            .query_async(&mut *conn)
            .await
            .expect("xrange");
        reply
            .ids
            .iter()
            .map(|entry| match entry.map.get("payload") {
                Some(Value::BulkString(bytes)) => {
                    BatchMessage::decode(bytes.as_slice()).expect("a batch message")
                }
                other => panic!("entry without payload: {other:?}"),
            })
            .collect()
    }

    /// Adds a message to the detections stream.
    pub async fn enqueue(&self, message: DetectionsMessage) {
        let producer = hsi_queue::Producer::new(
            self.pool.clone(),
            &self.redis.prefix,
            &self.settings.queue,
            "test",
        );
        producer.publish(message).await.expect("enqueue");
    }

    /// Starts the service in-process with `settings`.
    pub fn start(&self, settings: Settings) -> Running {
        let token = CancellationToken::new();
        let task = tokio::spawn(hsi_batch_aggregator::run(settings, token.clone()));
        Running { token, task }
    }
}

/// A service running in-process.
pub struct Running {
    token: CancellationToken,
    task: JoinHandle<Result<(), Error>>,
}

impl Running {
    pub async fn stop(self) {
        self.token.cancel();
        self.task
            .await
            .expect("service task")
            .expect("service stops cleanly");
    }
}

/// A detections message of `camera` seen at `detected_at_ms` with (id, class,
/// confidence) detections.
pub fn message(
    camera: &str,
    detected_at_ms: i64,
    detections: &[(i64, &str, f32)],
) -> DetectionsMessage {
    DetectionsMessage {
        meta: Some(MessageMeta {
            message_id: format!("{camera}-{detected_at_ms}"),
            ..MessageMeta::default()
        }),
        camera_id: camera.to_owned(),
        file_path: format!("/cams/{camera}/{detected_at_ms}.jpg"),
        detected_at_ms,
        detections: detections
            .iter()
            .map(|(id, class, confidence)| Detection {
                id: *id,
                object_type: (*class).to_owned(),
                confidence: *confidence,
                ..Detection::default()
            })
            .collect(),
        ..DetectionsMessage::default()
    }
}

/// Cars with these ids (never the fast path).
pub fn cars(camera: &str, at_ms: i64, ids: std::ops::Range<i64>) -> DetectionsMessage {
    let detections: Vec<(i64, &str, f32)> = ids.map(|id| (id, "car", 0.8)).collect();
    message(camera, at_ms, &detections)
}

/// Waits up to `seconds` for `check` to hold.
pub async fn until<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}
