//! OpenTelemetry traces: when `telemetry.otlp_endpoint` is set, every `tracing` span is
//! also exported over OTLP/gRPC, and the W3C trace context that messages and requests
//! carry makes one trace of a file's way through every service.
//!
//! The exporter runs on a small runtime of its own, so spans keep flowing while the
//! service's runtime drains at shutdown, and a busy service never delays an export.

use crate::settings::SettingsError;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use std::collections::HashMap;
use std::time::Duration;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The settings key that turns exporting on.
pub const ENDPOINT_KEY: &str = "telemetry.otlp_endpoint";

/// How long one export may take before it is given up (the collector is local).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// Errors from starting the exporter.
#[derive(Debug, thiserror::Error)]
pub enum OtelError {
    #[error("cannot start the OTLP exporter's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error(
        "bad setting {ENDPOINT_KEY}: cannot build the OTLP exporter for {endpoint:?}: {message}"
    )]
    Exporter { endpoint: String, message: String },
}

/// Checks `telemetry.otlp_endpoint`: an `http://host:port` URL (a local collector or
/// agent; the exporter is built without TLS).
pub fn validate_endpoint(endpoint: &str) -> Result<(), SettingsError> {
    let invalid =
        |message: &str| SettingsError::invalid(ENDPOINT_KEY, format!("{endpoint:?} {message}"));
    if endpoint.starts_with("https://") {
        return Err(invalid(
            "uses https, which this build does not export over; point it at a collector on http://",
        ));
    }
    let Some(authority) = endpoint.strip_prefix("http://") else {
        return Err(invalid(
            "is not an http:// URL (expected e.g. http://127.0.0.1:4317)",
        ));
    };
    let host_port = authority.split('/').next().unwrap_or_default();
    let port_ok = host_port
        .rsplit_once(':')
        .is_none_or(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if host_port.is_empty() || !port_ok || host_port.contains(char::is_whitespace) {
        return Err(invalid(
            "has no valid host and port (expected e.g. http://127.0.0.1:4317)",
        ));
    }
    Ok(())
}

/// The exporting side of tracing: the tracer provider and the runtime its exporter
/// runs on. Call [`OtelExport::shutdown`] at exit so the last spans are sent.
#[derive(Debug)]
pub struct OtelExport {
    provider: SdkTracerProvider,
    runtime: tokio::runtime::Runtime,
}

/// The `tracing` layer that turns spans into OpenTelemetry spans.
pub type OtelLayer<S> =
    tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>;

/// Starts exporting spans to `endpoint` as service `service_name` (the binary's name);
/// returns the layer to add to the subscriber and the handle to flush at exit.
pub fn start<S>(endpoint: &str, service_name: &str) -> Result<(OtelLayer<S>, OtelExport), OtelError>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("otlp-export")
        .enable_all()
        .build()
        .map_err(OtelError::Runtime)?;
    // The gRPC channel spawns its connection tasks on the runtime it is built in.
    let exporter = {
        let _inside = runtime.enter();
        opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|err| OtelError::Exporter {
                endpoint: endpoint.to_owned(),
                message: err.to_string(),
            })?
    };
    let resource = Resource::builder()
        .with_service_name(service_name.to_owned())
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service_name.to_owned()))
        // Log lines stay in the logs; spans carry the fields that matter.
        .with_tracked_inactivity(false);
    Ok((layer, OtelExport { provider, runtime }))
}

impl OtelExport {
    /// Sends the spans still queued and stops the exporter, giving up after `deadline`
    /// (a collector that is down must not hold up a shutdown).
    pub fn shutdown(self, deadline: Duration) {
        let provider = self.provider;
        // The flush blocks on the export; a thread of its own keeps the deadline ours.
        let (done, finished) = std::sync::mpsc::channel();
        let flusher = std::thread::Builder::new()
            .name("otlp-flush".to_owned())
            .spawn(move || {
                let _ = done.send(provider.shutdown_with_timeout(deadline));
            });
        match flusher {
            Ok(_) => match finished.recv_timeout(deadline + Duration::from_millis(200)) {
                Ok(Ok(())) => {}
                Ok(Err(err)) => eprintln!("traces: flushing the last spans failed: {err}"),
                Err(_) => eprintln!("traces: the last spans were not sent within {deadline:?}"),
            },
            Err(err) => eprintln!("traces: cannot start the flush: {err}"),
        }
        // The last export is done (or given up): nothing left to wait for, and not
        // waiting keeps this callable from async code too.
        self.runtime.shutdown_background();
    }
}

/// The W3C `traceparent` and `tracestate` of the current span, when spans are exported
/// (`None` without an exporter, or outside any span).
pub fn current_trace_context() -> Option<(String, String)> {
    trace_context_of(&tracing::Span::current())
}

/// The W3C `traceparent` and `tracestate` of `span`, when spans are exported.
pub fn trace_context_of(span: &tracing::Span) -> Option<(String, String)> {
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    let traceparent = carrier.remove("traceparent")?;
    Some((
        traceparent,
        carrier.remove("tracestate").unwrap_or_default(),
    ))
}

/// Makes `span` a child of the remote span `traceparent` names (another process's
/// span, from a message or a request header). Does nothing when spans are not exported
/// or the header is malformed; call it before the span is first entered.
pub fn set_remote_parent(span: &tracing::Span, traceparent: &str, tracestate: &str) {
    let carrier = HashMap::from([
        ("traceparent".to_owned(), traceparent.to_owned()),
        ("tracestate".to_owned(), tracestate.to_owned()),
    ]);
    let parent = TraceContextPropagator::new().extract(&carrier);
    if parent.span().span_context().is_valid() {
        // Only fails when there is no OpenTelemetry layer or the span started already,
        // and then the span simply stays where it is.
        let _ = span.set_parent(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_plain_http_with_a_host() {
        assert!(validate_endpoint("http://127.0.0.1:4317").is_ok());
        assert!(validate_endpoint("http://otel-collector:4317").is_ok());
        assert!(validate_endpoint("http://collector").is_ok());
        for bad in [
            "127.0.0.1:4317",
            "https://collector:4317",
            "http://",
            "http://:4317",
            "http://host:port",
            "grpc://x:1",
        ] {
            let err = validate_endpoint(bad).expect_err(bad).to_string();
            assert!(err.contains(ENDPOINT_KEY), "{err}");
        }
    }

    #[test]
    fn without_an_exporter_there_is_no_current_context() {
        let span = tracing::info_span!("outside");
        let _inside = span.enter();
        assert_eq!(current_trace_context(), None);
        // A parent set without an exporter is a no-op, not a panic.
        set_remote_parent(
            &span,
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "",
        );
    }
}
