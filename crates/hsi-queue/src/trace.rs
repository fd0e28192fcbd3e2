//! W3C trace context carried by every message, so one trace id follows a file from the
//! camera folder to the alert.
//!
//! When spans are exported (`telemetry.otlp_endpoint`), a message carries the context of
//! the span that sent it, and the consumer's span for it is that span's child; the trace
//! is then the real chain of spans across the services. Without an exporter, messages
//! still carry one trace id from end to end (a fresh span id per hop), for the logs.

use crate::HandlerError;
use hsi_core::otel;
use hsi_proto::v1::TraceContext;
use rand::Rng;

/// The current span's context, when spans are exported and there is a current span.
pub fn inject_current() -> Option<TraceContext> {
    otel::current_trace_context().map(|(traceparent, tracestate)| TraceContext {
        traceparent,
        tracestate,
    })
}

/// The context for a message sent from the current span on behalf of `parent` (the
/// message being handled): the current span's own when spans are exported, else a child
/// of `parent` (or a new root).
pub fn outgoing(parent: Option<&TraceContext>) -> TraceContext {
    inject_current().unwrap_or_else(|| child_of(parent))
}

/// Makes `span` (just created, not yet entered) a child of the span that sent the
/// message with context `parent`; returns it, for `.instrument(..)`.
pub fn span_with_parent(span: tracing::Span, parent: Option<&TraceContext>) -> tracing::Span {
    if let Some(parent) = parent.filter(|p| !p.traceparent.is_empty()) {
        otel::set_remote_parent(&span, &parent.traceparent, &parent.tracestate);
    }
    span
}

/// The `outcome` field of a consumer's span: `ok`, `retry`, `failed` (dead-lettered)
/// or `backpressure`.
pub fn outcome<T>(result: &Result<T, HandlerError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(HandlerError::Retry(_)) => "retry",
        Err(HandlerError::Permanent(_)) => "failed",
        Err(HandlerError::Backpressure(_)) => "backpressure",
    }
}

/// A new trace: `00-<trace id>-<span id>-01`.
pub fn new_root() -> TraceContext {
    let mut rng = rand::rng();
    TraceContext {
        traceparent: format!(
            "00-{:032x}-{:016x}-01",
            rng.random::<u128>() | 1,
            rng.random::<u64>() | 1
        ),
        tracestate: String::new(),
    }
}

/// A child of `parent` (same trace id, new span id); a new root when the parent is
/// missing or malformed.
pub fn child_of(parent: Option<&TraceContext>) -> TraceContext {
    match parent.and_then(|p| trace_id(&p.traceparent).map(|id| (id, p))) {
        Some((trace_id, parent)) => TraceContext {
            traceparent: format!("00-{trace_id}-{:016x}-01", rand::rng().random::<u64>() | 1),
            tracestate: parent.tracestate.clone(),
        },
        None => new_root(),
    }
}

/// The 32-hex-digit trace id of a `traceparent`, if it is well formed.
pub fn trace_id(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(version, 2) && hex(trace, 32) && hex(span, 16) && hex(flags, 2) && trace != "0".repeat(32))
        .then_some(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_keep_the_trace_id_and_change_the_span() {
        let root = new_root();
        let child = child_of(Some(&root));
        assert_eq!(trace_id(&root.traceparent), trace_id(&child.traceparent));
        assert_ne!(root.traceparent, child.traceparent);
        assert!(trace_id(&child.traceparent).is_some());
    }

    #[test]
    fn malformed_parents_start_a_new_trace() {
        let bad = TraceContext {
            traceparent: "garbage".into(),
            tracestate: String::new(),
        };
        assert!(trace_id(&child_of(Some(&bad)).traceparent).is_some());
        assert!(trace_id(&child_of(None).traceparent).is_some());
        assert_eq!(
            trace_id("00-00000000000000000000000000000000-0000000000000001-01"),
            None
        );
    }
}
