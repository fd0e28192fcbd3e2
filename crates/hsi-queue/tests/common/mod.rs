//! A queue of files on a Redis prefix of the test's own, shared by the queue tests.
#![allow(dead_code)] // each test binary uses a different part

use hsi_proto::v1::FileMessage;
use hsi_queue::{
    queue_stats, redis_pool, Consumer, DeadLetter, Producer, QueueSettings, QueueStats, RedisPool,
};
use hsi_testkit::TestRedis;
use std::sync::Arc;
use std::time::Duration;

pub const GROUP: &str = "detection-worker";

pub fn file(n: usize) -> FileMessage {
    FileMessage {
        camera_id: "front_door".into(),
        path_display: format!("/cams/Front Door/{n}.jpg"),
        path: format!("/cams/Front Door/{n}.jpg").into_bytes(),
        ..Default::default()
    }
}

pub struct Queue {
    pub redis: TestRedis,
    pub pool: RedisPool,
    pub settings: QueueSettings,
}

impl Queue {
    pub fn new(settings: QueueSettings) -> Self {
        let redis = TestRedis::new();
        let pool = redis_pool(&redis.settings()).expect("pool");
        Self {
            redis,
            pool,
            settings,
        }
    }

    pub fn producer(&self) -> Producer<FileMessage> {
        Producer::new(
            self.pool.clone(),
            &self.redis.prefix,
            &self.settings,
            "file-watcher",
        )
    }

    pub fn consumer(&self, name: &str) -> Arc<Consumer<FileMessage>> {
        Arc::new(Consumer::new(
            self.pool.clone(),
            &self.redis.prefix,
            GROUP,
            name,
            &self.settings,
        ))
    }

    /// Publishes files 0..count.
    pub async fn publish(&self, count: usize) {
        let producer = self.producer();
        for n in 0..count {
            producer.publish(file(n)).await.expect("publish");
        }
    }

    pub async fn stats(&self) -> QueueStats {
        queue_stats(&self.pool, &self.redis.prefix, "files", GROUP)
            .await
            .expect("stats")
    }

    pub async fn dead_letters(&self) -> Vec<DeadLetter> {
        DeadLetter::list(&self.pool, &self.redis.prefix, "files", 100)
            .await
            .expect("dead letters")
    }
}

/// Polls `check` every 25 ms until it holds, for at most 15 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}
