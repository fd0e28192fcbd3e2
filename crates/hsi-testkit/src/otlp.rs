//! A real OTLP receiver for tests: the collector's gRPC trace service on a local port,
//! keeping every span it is sent, with the exporting service's `service.name`.

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One span as the receiver got it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedSpan {
    /// The exporting process's `service.name` resource attribute.
    pub service: String,
    pub name: String,
    /// Hex, as in a `traceparent` header.
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    /// The span's attributes (its `tracing` fields), values as text.
    pub attributes: BTreeMap<String, String>,
}

impl ReceivedSpan {
    /// The attribute `key`, if the span has it.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    fn millis(&self) -> f64 {
        self.end_unix_nano.saturating_sub(self.start_unix_nano) as f64 / 1e6
    }
}

#[derive(Debug, Default, Clone)]
struct Collector {
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut received = Vec::new();
        for resource_spans in request.into_inner().resource_spans {
            let resource = resource_spans.resource.unwrap_or_default();
            let service = text_attributes(&resource.attributes)
                .remove("service.name")
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    received.push(ReceivedSpan {
                        service: service.clone(),
                        name: span.name,
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        start_unix_nano: span.start_time_unix_nano,
                        end_unix_nano: span.end_time_unix_nano,
                        attributes: text_attributes(&span.attributes),
                    });
                }
            }
        }
        self.spans.lock().unwrap().extend(received);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

fn text_attributes(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(AnyValue::StringValue(s)) => s.clone(),
                Some(AnyValue::BoolValue(b)) => b.to_string(),
                Some(AnyValue::IntValue(i)) => i.to_string(),
                Some(AnyValue::DoubleValue(d)) => d.to_string(),
                Some(other) => format!("{other:?}"),
                None => String::new(),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

/// The receiver, serving until dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    /// What to set `telemetry.otlp_endpoint` to.
    pub endpoint: String,
    collector: Collector,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl OtlpReceiver {
    /// Starts a receiver on a free local port.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0")
            .await
            .expect("a free local port for the OTLP receiver")
    }

    /// Starts a receiver listening on `addr` (`host:port`).
    pub async fn start_on(addr: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let collector = Collector::default();
        let service = TraceServiceServer::new(collector.clone());
        let server = tokio::spawn(async move {
            let incoming = tonic::transport::server::TcpIncoming::from(listener);
            let _ = tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(incoming)
                .await;
        });
        Ok(Self {
            endpoint,
            collector,
            server,
        })
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.collector.spans.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the spans received, at most `limit`; panics naming
    /// `what`, with the tree of what did arrive, when it never does.
    pub async fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        mut done: impl FnMut(&[ReceivedSpan]) -> bool,
    ) -> Vec<ReceivedSpan> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let spans = self.spans();
            if done(&spans) {
                return spans;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "timed out after {limit:?} waiting for {what}; {} spans received:\n{}",
                    spans.len(),
                    span_tree(&spans)
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Attributes not worth a line in a tree: where in the code, which thread.
fn shown(key: &str) -> bool {
    const HIDDEN_PREFIXES: [&str; 3] = ["code.", "thread.", "otel."];
    const HIDDEN: [&str; 4] = ["target", "level", "busy_ns", "idle_ns"];
    !HIDDEN_PREFIXES.iter().any(|prefix| key.starts_with(prefix)) && !HIDDEN.contains(&key)
}

/// The spans as indented trees, one per trace, children in start order: each line the
/// span's name, its service, its duration and its fields. A span whose parent never
/// arrived (another process's, say) is shown as a root, naming that parent.
pub fn span_tree(spans: &[ReceivedSpan]) -> String {
    let mut traces: BTreeMap<&str, Vec<&ReceivedSpan>> = BTreeMap::new();
    for span in spans {
        traces.entry(&span.trace_id).or_default().push(span);
    }
    let mut out = String::new();
    for (trace_id, mut members) in traces {
        members.sort_by_key(|s| s.start_unix_nano);
        let _ = writeln!(out, "trace {trace_id}");
        let known = |id: &str| members.iter().any(|s| s.span_id == id);
        for root in members.iter().filter(|s| !known(&s.parent_span_id)) {
            write_span(&mut out, &members, root, 1);
        }
    }
    out
}

fn write_span(out: &mut String, members: &[&ReceivedSpan], span: &ReceivedSpan, depth: usize) {
    let fields: Vec<String> = span
        .attributes
        .iter()
        .filter(|(key, _)| shown(key))
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let known_parent =
        span.parent_span_id.is_empty() || members.iter().any(|s| s.span_id == span.parent_span_id);
    let parent = if known_parent {
        String::new()
    } else {
        format!(" (child of {}, not received)", span.parent_span_id)
    };
    let _ = writeln!(
        out,
        "{}{} [{}] {:.1} ms{parent}  {}",
        "  ".repeat(depth),
        span.name,
        span.service,
        span.millis(),
        fields.join(" ")
    );
    for child in members.iter().filter(|s| s.parent_span_id == span.span_id) {
        write_span(out, members, child, depth + 1);
    }
}
