//! A file-watcher running in-process on a temporary camera root, with its own database
//! and Redis prefix, and a consumer reading what it enqueues.

#![allow(dead_code)] // each test binary uses a different part

use hsi_core::Service;
use hsi_db::entities::cameras;
use hsi_file_watcher::{Error, Settings};
use hsi_proto::v1::FileMessage;
use hsi_queue::{redis_pool, Consumer, QueueSettings};
use hsi_testkit::{TestDatabase, TestRedis};
use sea_orm::EntityTrait;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Longest a test waits for something that should happen.
pub const DEADLINE: Duration = Duration::from_secs(8);
/// How long nothing more must arrive before a test believes nothing more will.
pub const QUIET: Duration = Duration::from_millis(800);

pub struct Harness {
    pub db: TestDatabase,
    pub redis: TestRedis,
    pub dir: tempfile::TempDir,
    pub consumer: Consumer<FileMessage>,
    running: Option<(CancellationToken, JoinHandle<Result<(), Error>>)>,
}

pub fn queue_settings() -> QueueSettings {
    QueueSettings {
        block_ms: 100,
        ..QueueSettings::default()
    }
}

impl Harness {
    pub async fn new() -> Self {
        let db = TestDatabase::migrated().await;
        let redis = TestRedis::new();
        let pool = redis_pool(&redis.settings()).expect("redis pool");
        let consumer = Consumer::new(
            pool,
            &redis.prefix,
            "detection-worker",
            "test",
            &queue_settings(),
        );
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            db,
            redis,
            dir,
            consumer,
            running: None,
        }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Settings for this test's database, Redis prefix and root, with short timings.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::default();
        settings.database.url =
            hsi_core::settings::SecretUrl::new(self.db.url_for(Service::FileWatcher));
        settings.database.max_connections = 4;
        settings.redis = self.redis.settings();
        settings.queue = queue_settings();
        settings.watcher.root = self.root();
        settings.watcher.stability_ms = 300;
        settings.watcher.debounce_ms = 50;
        settings.watcher.poll_interval_ms = 100;
        settings
    }

    pub fn start(&mut self) {
        let settings = self.settings();
        self.start_with(settings);
    }

    pub fn start_with(&mut self, settings: Settings) {
        assert!(self.running.is_none(), "already running");
        let token = CancellationToken::new();
        let handle = tokio::spawn(hsi_file_watcher::run(settings, token.clone()));
        self.running = Some((token, handle));
    }

    pub fn is_running(&self) -> bool {
        self.running
            .as_ref()
            .is_some_and(|(_, handle)| !handle.is_finished())
    }

    /// Stops the service and checks that it stopped cleanly and promptly.
    pub async fn stop(&mut self) {
        let (token, handle) = self.running.take().expect("running");
        token.cancel();
        let result = tokio::time::timeout(DEADLINE, handle)
            .await
            .expect("stops promptly")
            .expect("did not panic");
        result.expect("stops without error");
    }

    /// Reads (and acknowledges) messages until `count` have arrived.
    pub async fn messages(&self, count: usize) -> Vec<FileMessage> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        let mut messages = Vec::new();
        while messages.len() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {count} messages, got {messages:#?}"
            );
            let deliveries = self.consumer.receive(count).await.expect("receive");
            let ids: Vec<&str> = deliveries.iter().map(|d| d.id.as_str()).collect();
            if !ids.is_empty() {
                self.consumer.ack(&ids).await.expect("ack");
            }
            messages.extend(deliveries.into_iter().map(|d| d.message));
        }
        assert_eq!(
            messages.len(),
            count,
            "more messages than expected: {messages:#?}"
        );
        messages
    }

    /// Fails if any message arrives within the quiet window.
    pub async fn no_more_messages(&self) {
        let until = tokio::time::Instant::now() + QUIET;
        while tokio::time::Instant::now() < until {
            let extra = self.consumer.receive(10).await.expect("receive");
            let extra: Vec<_> = extra.into_iter().map(|d| d.message).collect();
            assert!(extra.is_empty(), "unexpected messages: {extra:#?}");
        }
    }

    /// The camera's row, if there is one.
    pub async fn find_camera(&self, id: &str) -> Option<cameras::Model> {
        cameras::Entity::find_by_id(id.to_owned())
            .one(&self.db.conn)
            .await
            .expect("query cameras")
    }

    /// Waits until the camera is registered and returns its row.
    pub async fn camera(&self, id: &str) -> cameras::Model {
        eventually(&format!("camera {id}"), || async {
            self.find_camera(id).await.is_some()
        })
        .await;
        self.find_camera(id).await.expect("camera")
    }

    /// Creates a camera folder and waits until the running service has registered it,
    /// which shows it is watching.
    pub async fn camera_folder(&self, name: &str, id: &str) -> PathBuf {
        let folder = self.root().join(name);
        std::fs::create_dir(&folder).expect("create camera folder");
        self.camera(id).await;
        folder
    }
}

/// Polls `check` until it holds or the deadline passes.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

pub fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read file")))
}

/// Copies a sample photo to `to` and returns the destination.
pub fn copy_photo(name: &str, to: &Path) -> PathBuf {
    std::fs::copy(hsi_testkit::photo(name), to).expect("copy photo");
    to.to_path_buf()
}
