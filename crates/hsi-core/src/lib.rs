//! Domain types and rules shared by every HSI service, plus the plumbing each binary
//! needs at start: typed settings, tracing and a shutdown signal.
//!
//! The domain modules (`camera_id`, `severity`, `enums`) do no I/O so they can be used
//! anywhere, including in property tests.

pub mod baseline;
pub mod camera_id;
pub mod enums;
pub mod log_capture;
pub mod metrics_catalog;
pub mod metrics_export;
pub mod otel;
pub mod pipeline_metrics;
pub mod retry;
pub mod service;
pub mod service_main;
pub mod settings;
pub mod severity;
pub mod shutdown;
pub mod telemetry;
pub mod video_probe;

pub use camera_id::normalize_camera_id;
pub use service::Service;
pub use severity::{Severity, SeverityBands, SeverityError};
