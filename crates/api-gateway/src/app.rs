//! What every service-layer function is given: the database, Redis, settings and the
//! clients of the other services.

use crate::auth::KeyStore;
use crate::live::LiveHub;
use crate::ratelimit::RateLimiter;
use crate::settings::Settings;
use hsi_proto::v1::analysis_service_client::AnalysisServiceClient;
use hsi_proto::v1::detector_service_client::DetectorServiceClient;
use hsi_queue::RedisPool;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};

/// The gateway's shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct App(Arc<AppInner>);

#[derive(Debug)]
pub struct AppInner {
    pub db: DatabaseConnection,
    pub redis: RedisPool,
    pub settings: Settings,
    pub keys: KeyStore,
    pub limiter: RateLimiter,
    pub live: LiveHub,
    /// The detection-worker's API (detect now, health); connects on first use.
    pub detector: Channel,
    /// The analysis-worker's API (re-analyse, health); connects on first use.
    pub analysis: Channel,
}

impl std::ops::Deref for App {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// Why the state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad setting {key}: {message}")]
    Endpoint { key: &'static str, message: String },
}

impl App {
    pub fn new(
        db: DatabaseConnection,
        redis: RedisPool,
        settings: Settings,
    ) -> Result<Self, AppError> {
        let timeout = Duration::from_millis(settings.services.timeout_ms);
        let lazy = |key: &'static str, url: &str| {
            Endpoint::from_shared(url.to_owned())
                .map(|endpoint| {
                    endpoint
                        .connect_timeout(Duration::from_secs(5))
                        .timeout(timeout)
                        .connect_lazy()
                })
                .map_err(|err| AppError::Endpoint {
                    key,
                    message: err.to_string(),
                })
        };
        let detector = lazy(
            "services.detection_worker",
            &settings.services.detection_worker,
        )?;
        let analysis = lazy(
            "services.analysis_worker",
            &settings.services.analysis_worker,
        )?;
        let keys = KeyStore::new(
            db.clone(),
            Duration::from_millis(settings.auth.cache_ttl_ms),
        );
        let limiter = RateLimiter::new(
            redis.clone(),
            &settings.redis.key_prefix,
            settings.rate_limit.clone(),
        );
        let live = LiveHub::new(settings.live.buffer);
        Ok(Self(Arc::new(AppInner {
            db,
            redis,
            settings,
            keys,
            limiter,
            live,
            detector,
            analysis,
        })))
    }

    /// A client of the detection-worker carrying the internal token.
    pub fn detector_client(&self) -> DetectorServiceClient<Channel> {
        DetectorServiceClient::new(self.detector.clone())
            .max_decoding_message_size(self.settings.grpc.max_message_bytes)
            .max_encoding_message_size(self.settings.grpc.max_message_bytes)
    }

    /// A client of the analysis-worker.
    pub fn analysis_client(&self) -> AnalysisServiceClient<Channel> {
        AnalysisServiceClient::new(self.analysis.clone())
    }

    /// A request to another service, with the internal token attached.
    pub fn internal_request<T>(&self, message: T) -> tonic::Request<T> {
        hsi_proto::auth::with_token(
            tonic::Request::new(message),
            self.settings.services.token.expose(),
        )
    }
}
