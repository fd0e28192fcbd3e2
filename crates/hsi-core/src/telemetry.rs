//! Tracing set-up shared by every binary.

use crate::log_capture::{self, DbLogLevel};
use crate::otel::{self, OtelError, OtelExport};
use crate::settings::SettingsError;
use serde::{Deserialize, Serialize};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// The `telemetry` section of every service's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// An `EnvFilter` directive; `RUST_LOG`, when set, wins.
    pub log_filter: String,
    pub log_format: LogFormat,
    /// The lowest level also written to the `logs` table (`off` writes none).
    pub db_log_level: DbLogLevel,
    /// Lines held for the `logs` table while PostgreSQL is slow or down; more are dropped
    /// and counted in `hsi_logs_dropped_total`.
    pub db_log_buffer: usize,
    /// Where spans are exported over OTLP/gRPC (`http://collector:4317`); unset, no
    /// traces leave the process. Spans follow `log_filter` (info and up by default).
    pub otlp_endpoint: Option<String>,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            log_filter: "info,sqlx=warn,sea_orm=warn,h2=warn,tower=warn,hyper=warn".to_owned(),
            log_format: LogFormat::Pretty,
            db_log_level: DbLogLevel::Warn,
            db_log_buffer: 4096,
            otlp_endpoint: None,
        }
    }
}

impl TelemetrySettings {
    /// Checks what serde cannot: the OTLP endpoint's form.
    pub fn validate(&self) -> Result<(), SettingsError> {
        match &self.otlp_endpoint {
            Some(endpoint) => otel::validate_endpoint(endpoint),
            None => Ok(()),
        }
    }
}

/// Errors from setting up tracing.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("bad log filter {filter:?}: {source}")]
    Filter {
        filter: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("a global tracing subscriber is already installed")]
    AlreadyInstalled,
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Otel(#[from] OtelError),
}

/// What must be done at exit for the telemetry [`init`] started.
#[derive(Debug, Default)]
#[must_use = "call shutdown at exit so the last spans are exported"]
pub struct Telemetry {
    otel: Option<OtelExport>,
}

impl Telemetry {
    /// Exports the spans still queued, within `deadline`.
    pub fn shutdown(self, deadline: std::time::Duration) {
        if let Some(otel) = self.otel {
            otel.shutdown(deadline);
        }
    }
}

/// Installs the global subscriber for a service; call once, first thing in `main`.
/// `service_name` (the binary's, `hsi-file-watcher`) names the exported spans' service.
pub fn init(settings: &TelemetrySettings, service_name: &str) -> Result<Telemetry, TelemetryError> {
    settings.validate()?;
    let filter_text = std::env::var("RUST_LOG").unwrap_or_else(|_| settings.log_filter.clone());
    let filter = EnvFilter::try_new(&filter_text).map_err(|source| TelemetryError::Filter {
        filter: filter_text.clone(),
        source,
    })?;
    let capture = log_capture::layer(settings.db_log_level, settings.db_log_buffer).map(
        |(layer, receiver)| {
            log_capture::park_receiver(receiver);
            layer
        },
    );
    let (traces, otel) = match &settings.otlp_endpoint {
        Some(endpoint) => {
            let (layer, export) = otel::start(endpoint, service_name)?;
            (Some(layer), Some(export))
        }
        None => (None, None),
    };
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(capture)
        .with(traces);
    let result = match settings.log_format {
        LogFormat::Pretty => registry.with(fmt::layer().with_target(true)).try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    };
    result.map_err(|_| TelemetryError::AlreadyInstalled)?;
    Ok(Telemetry { otel })
}

/// Installs a subscriber for tests: silent unless `TEST_LOG` is set. Safe to call often.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_none() {
        return;
    }
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("debug"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_test_writer())
        .try_init();
}
