//! The API gateway: how people and programs use HSI. One service layer (the functions
//! in [`resources`], each taking a typed request and returning a typed result or an
//! [`error::ApiError`]) with two thin adapters in the same process: tonic for gRPC
//! (`proto/hsi/v1/api/`, with health and reflection) and axum for REST under
//! `/api/v1/` and WebSocket. API keys with scopes, rate limits kept in Redis and a
//! hash-chained audit trail guard every call.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod console;
pub mod convert;
pub mod error;
pub mod grpc;
pub mod live;
pub mod media;
pub mod paging;
pub mod policy;
pub mod ratelimit;
pub mod request_metrics;
pub mod request_trace;
pub mod resources;
pub mod rest;
mod settings;

pub use app::App;
pub use settings::{
    AuthSettings, GrpcSettings, HttpSettings, LiveSettings, MediaSettings, RateLimitSettings,
    ServiceEndpoints, Settings,
};

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The generated types and stubs of `hsi.v1.api`.
pub mod pb {
    #![allow(missing_docs, unused_qualifications, clippy::all, clippy::pedantic)]
    #![allow(missing_debug_implementations)]
    tonic::include_proto!("hsi.v1.api");
}

/// How long in-flight requests get to finish after shutdown is asked for.
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// Why the gateway could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr} ({key}): {source}")]
    Bind {
        key: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    App(#[from] app::AppError),
    #[error(transparent)]
    Queue(#[from] hsi_queue::QueueError),
    #[error("gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
    #[error("HTTP server failed: {0}")]
    Http(std::io::Error),
    #[error("start-up was interrupted by shutdown")]
    Interrupted,
}

/// Builds the shared state from settings (connecting to PostgreSQL with retries).
pub async fn build_app(settings: &Settings, shutdown: &CancellationToken) -> Result<App, Error> {
    let Some(db) = hsi_db::connect_with_retry(&settings.database, shutdown).await else {
        return Err(Error::Interrupted);
    };
    // Warnings and errors also go to the `logs` table (`telemetry.db_log_level`).
    hsi_db::log_writer::spawn(
        db.clone(),
        hsi_core::Service::Gateway.name(),
        shutdown.clone(),
    );
    let redis = hsi_queue::redis_pool(&settings.redis)?;
    Ok(App::new(db, redis, settings.clone())?)
}

/// Runs the gateway until `shutdown`, then drains in-flight requests and returns.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<(), Error> {
    let app = build_app(&settings, &shutdown).await?;
    let http = match settings.http.listen {
        Some(addr) => Some(bind("http.listen", addr).await?),
        None => None,
    };
    let grpc = match settings.grpc.listen {
        Some(addr) => Some(bind("grpc.listen", addr).await?),
        None => None,
    };
    serve(app, http, grpc, shutdown).await
}

async fn bind(key: &'static str, addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { key, addr, source })
}

/// Serves REST/WebSocket on `http` and gRPC on `grpc` (either may be absent) until
/// `shutdown`; tests bind port 0 and pass the listeners.
pub async fn serve(
    app: App,
    http: Option<TcpListener>,
    grpc: Option<TcpListener>,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let live = tokio::spawn(app.live.clone().run(
        app.settings.redis.url.expose().to_owned(),
        format!(
            "{}{}",
            app.settings.redis.key_prefix, app.settings.live.channel
        ),
        shutdown.clone(),
    ));
    let http_task = http.map(|listener| {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "serving REST and WebSocket");
        }
        let router = rest::router(app.clone());
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
        })
    });
    let grpc_task = grpc.map(|listener| {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "serving gRPC");
        }
        tokio::spawn(grpc::serve(app.clone(), listener, shutdown.clone()))
    });
    shutdown.cancelled().await;
    let drained = hsi_core::retry::within(DRAIN_DEADLINE, async {
        if let Some(task) = http_task {
            match task.await {
                Ok(result) => result.map_err(Error::Http)?,
                Err(err) => tracing::warn!(error = %err, "HTTP task ended abnormally"),
            }
        }
        if let Some(task) = grpc_task {
            match task.await {
                Ok(result) => result?,
                Err(err) => tracing::warn!(error = %err, "gRPC task ended abnormally"),
            }
        }
        Ok::<(), Error>(())
    })
    .await;
    live.abort();
    match drained {
        Some(result) => result,
        None => {
            tracing::warn!(
                deadline_ms = DRAIN_DEADLINE.as_millis() as u64,
                "requests still running at the drain deadline; stopping anyway"
            );
            Ok(())
        }
    }
}
