//! W3C trace context carried by every message, so one trace id follows a file from the
//! camera folder to the alert.

use hsi_proto::v1::TraceContext;
use rand::Rng;

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
