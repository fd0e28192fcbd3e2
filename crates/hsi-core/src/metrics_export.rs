//! Prometheus metrics on every service's `/metrics`.

use metrics_exporter_prometheus::Matcher;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// The `metrics` section of every service's settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Where `/metrics` is served; unset turns the exporter off.
    pub listen: Option<SocketAddr>,
}

/// Errors starting the exporter.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve metrics on {addr}: {message}")]
pub struct MetricsError {
    pub addr: SocketAddr,
    pub message: String,
}

/// Buckets for stage latencies in seconds: from a millisecond to a minute.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Buckets for counts of things (images per forward pass, detections per batch).
const SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Installs the global recorder and serves `/metrics` when `listen` is set. Must be
/// called inside a Tokio runtime.
pub fn install(settings: &MetricsSettings, service: &str) -> Result<(), MetricsError> {
    let Some(addr) = settings.listen else {
        return Ok(());
    };
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .add_global_label("service", service)
        .set_buckets(LATENCY_BUCKETS)
        .and_then(|builder| {
            builder.set_buckets_for_metric(Matcher::Suffix("batch_size".to_owned()), SIZE_BUCKETS)
        })
        .and_then(|builder| builder.install())
        .map_err(|err| MetricsError {
            addr,
            message: err.to_string(),
        })?;
    crate::metrics_catalog::register(service);
    tracing::info!(%addr, "serving prometheus metrics");
    Ok(())
}
