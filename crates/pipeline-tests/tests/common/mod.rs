//! The whole pipeline for end-to-end tests: the four services in this process, each
//! with its own settings and database role, over a fresh database and Redis prefix.
#![allow(dead_code)]

use hsi_core::settings::SecretUrl;
use hsi_core::Service;
use hsi_db::entities::events;
use hsi_queue::QueueSettings;
use hsi_testkit::{centernet_model, photo, TestDatabase, TestRedis};
use sea_orm::EntityTrait;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct Pipeline {
    pub db: TestDatabase,
    pub redis: TestRedis,
    pub dir: tempfile::TempDir,
    stop: CancellationToken,
    services: Vec<JoinHandle<Result<(), String>>>,
}

pub fn queue() -> QueueSettings {
    QueueSettings {
        block_ms: 100,
        visibility_timeout_ms: 10_000,
        retry_base_ms: 100,
        ..QueueSettings::default()
    }
}

impl Pipeline {
    pub async fn new() -> Self {
        Self {
            db: TestDatabase::migrated().await,
            redis: TestRedis::new(),
            dir: tempfile::tempdir().expect("temp dir"),
            stop: CancellationToken::new(),
            services: Vec::new(),
        }
    }

    pub fn cameras(&self) -> std::path::PathBuf {
        self.dir.path().join("cameras")
    }

    /// Starts the four services; `fast_path_confidence` (`None`: the model profile's)
    /// and the LLM are the knobs.
    pub fn start(&mut self, llm: &str, fast_path_confidence: Option<f32>) {
        std::fs::create_dir_all(self.cameras()).expect("camera root");
        let url = |service| SecretUrl::new(self.db.url_for(service));

        let mut watcher = hsi_file_watcher::Settings::default();
        watcher.database.url = url(Service::FileWatcher);
        watcher.redis = self.redis.settings();
        watcher.queue = queue();
        watcher.watcher.root = self.cameras();
        watcher.watcher.stability_ms = 300;
        watcher.watcher.debounce_ms = 50;

        let mut detector = hsi_detection_worker::Settings::default();
        detector.database.url = url(Service::DetectionWorker);
        detector.redis = self.redis.settings();
        detector.queue = queue();
        detector.detector.model_path = centernet_model();
        detector.detector.device = "cpu".into();
        detector.worker.thumbnails_dir = self.dir.path().join("thumbnails");
        detector.grpc.listen = None;

        let mut aggregator = hsi_batch_aggregator::Settings::default();
        aggregator.database.url = url(Service::BatchAggregator);
        aggregator.redis = self.redis.settings();
        aggregator.queue = queue();
        aggregator.batching.window_secs = 10;
        aggregator.batching.idle_secs = 2;
        aggregator.batching.tick_ms = 100;
        aggregator.fast_path.min_confidence = fast_path_confidence;

        let mut analysis = hsi_analysis_worker::Settings::default();
        analysis.database.url = url(Service::AnalysisWorker);
        analysis.redis = self.redis.settings();
        analysis.queue = queue();
        analysis.llm.base_url = llm.to_owned();
        analysis.llm.timeout_ms = 120_000;
        analysis.alerts.allow_private_destinations = true;
        analysis.grpc.listen = None;

        let stop = &self.stop;
        self.services.push(tokio::spawn({
            let stop = stop.clone();
            async move {
                hsi_file_watcher::run(watcher, stop)
                    .await
                    .map_err(|e| e.to_string())
            }
        }));
        self.services.push(tokio::spawn({
            let stop = stop.clone();
            async move {
                hsi_detection_worker::run(detector, stop)
                    .await
                    .map_err(|e| e.to_string())
            }
        }));
        self.services.push(tokio::spawn({
            let stop = stop.clone();
            async move {
                hsi_batch_aggregator::run(aggregator, stop)
                    .await
                    .map_err(|e| e.to_string())
            }
        }));
        self.services.push(tokio::spawn({
            let stop = stop.clone();
            async move {
                hsi_analysis_worker::run(analysis, stop)
                    .await
                    .map_err(|e| e.to_string())
            }
        }));
    }

    pub async fn stop(self) {
        self.stop.cancel();
        for service in self.services {
            service
                .await
                .expect("service task")
                .expect("service stops cleanly");
        }
    }

    pub async fn events(&self) -> Vec<events::Model> {
        events::Entity::find()
            .all(&self.db.conn)
            .await
            .expect("events")
    }

    pub fn copy(&self, camera_folder: &str, name: &str) {
        let folder = self.cameras().join(camera_folder);
        std::fs::create_dir_all(&folder).expect("camera folder");
        std::fs::copy(photo(name), folder.join(name)).expect("copy photo");
    }
}

pub async fn until<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out after {seconds} s waiting for {what}");
}
