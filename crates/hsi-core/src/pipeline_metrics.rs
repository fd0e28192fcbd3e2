//! How long a file takes through the pipeline: one histogram per stage, from the file
//! landing in its camera folder to its alert reaching the receiver, and the end-to-end
//! figure.
//!
//! Each stage is measured by the service that reaches it, from a time that travels with
//! the work, so no clock is shared but the wall clock:
//!
//! | stage      | from (carried by)                                         | to, measured by        |
//! | ---------- | --------------------------------------------------------- | ---------------------- |
//! | `enqueued` | landed: `media_files.observed_at` (`FileMessage.observed_at_ms`) | file published, file-watcher |
//! | `detected` | the file message's `meta.enqueued_at_ms`                  | detections published, detection-worker |
//! | `batched`  | the batch opening on its first detections (`BatchMessage.started_at_ms`) | batch published, batch-aggregator |
//! | `judged`   | the batch message's `meta.enqueued_at_ms`                 | verdict known, analysis-worker |
//! | `alerted`  | the verdict                                               | event and alert committed, analysis-worker |
//! | `delivered`| the alert's `created_at` (its payload)                    | receiver accepted it, analysis-worker's outbox |
//!
//! The landing time reaches the end: detections carry it as `detected_at_ms`, an event
//! starts at its earliest detection (`events.started_at`), and an alert keeps it as
//! `metadata.matched.occurred_at`.

/// Time spent reaching each stage from the one before, in seconds.
pub const STAGE_SECONDS: &str = "hsi_pipeline_stage_seconds";
/// Time from the file landing to its alert being raised or delivered, in seconds.
pub const END_TO_END_SECONDS: &str = "hsi_pipeline_end_to_end_seconds";

/// A point a file's work reaches on its way to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Enqueued,
    Detected,
    Batched,
    Judged,
    Alerted,
    Delivered,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Self::Enqueued,
        Self::Detected,
        Self::Batched,
        Self::Judged,
        Self::Alerted,
        Self::Delivered,
    ];

    /// The `stage` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enqueued => "enqueued",
            Self::Detected => "detected",
            Self::Batched => "batched",
            Self::Judged => "judged",
            Self::Alerted => "alerted",
            Self::Delivered => "delivered",
        }
    }
}

/// Where the end-to-end figure stops (the `until` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Alerted,
    Delivered,
}

impl Until {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alerted => "alerted",
            Self::Delivered => "delivered",
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Seconds from `from_ms` to `to_ms`; `None` when the start is unknown (0, as an unset
/// proto field reads). A clock step backwards reads as zero rather than as negative time.
fn span_seconds(from_ms: i64, to_ms: i64) -> Option<f64> {
    (from_ms > 0).then(|| (to_ms - from_ms).max(0) as f64 / 1000.0)
}

/// Records that `stage` was reached at `to_ms`, having started from `from_ms`.
pub fn observe_stage(stage: Stage, from_ms: i64, to_ms: i64) {
    if let Some(seconds) = span_seconds(from_ms, to_ms) {
        metrics::histogram!(STAGE_SECONDS, "stage" => stage.as_str()).record(seconds);
    }
}

/// Records the end-to-end time of a file that landed at `landed_ms`.
pub fn observe_end_to_end(until: Until, landed_ms: i64, to_ms: i64) {
    if let Some(seconds) = span_seconds(landed_ms, to_ms) {
        metrics::histogram!(END_TO_END_SECONDS, "until" => until.as_str()).record(seconds);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_start_is_not_a_latency_and_time_never_runs_backwards() {
        assert_eq!(span_seconds(0, 5_000), None);
        assert_eq!(span_seconds(1_000, 3_500), Some(2.5));
        assert_eq!(span_seconds(3_000, 1_000), Some(0.0));
    }
}
