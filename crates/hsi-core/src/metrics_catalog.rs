//! The metrics each service exports from its start: described (`# HELP`) and, where
//! the label set is fixed, registered at zero, so a scrape of an idle service already
//! shows what the dashboards and alert rules query (a counter that has never moved
//! reads 0, not "no data", and `rate()` works from the first increment). Metrics whose
//! labels come from traffic (cameras, routes, reasons) appear with their first sample.

use crate::pipeline_metrics::{Stage, Until, END_TO_END_SECONDS, STAGE_SECONDS};

/// What kind of series a metric is.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One metric: kind, name, help, and the label sets registered at zero (none: described
/// only).
type Entry = (
    Kind,
    &'static str,
    &'static str,
    &'static [&'static [(&'static str, &'static str)]],
);

const UNLABELLED: &[&[(&str, &str)]] = &[&[]];

const FILE_WATCHER: &[Entry] = &[
    (
        Kind::Counter,
        "hsi_files_accepted_total",
        "Files accepted into the pipeline, by camera.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_files_refused_total",
        "Files refused, by reason (see the refused-files ledger).",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_files_duplicate_total",
        "Files skipped because their content was already accepted.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_files_requeued_total",
        "Accepted files the recovery sweep published again.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_files_abandoned_total",
        "Files given up on (the ledger could not record them).",
        UNLABELLED,
    ),
    (
        Kind::Histogram,
        "hsi_file_validation_seconds",
        "Time to validate one file (hash, decode or probe).",
        UNLABELLED,
    ),
];

const DETECTION_WORKER: &[Entry] = &[
    (
        Kind::Counter,
        "hsi_files_processed_total",
        "Files the detector ran on, by media kind.",
        &[&[("media", "image")], &[("media", "video")]],
    ),
    (
        Kind::Counter,
        "hsi_detections_total",
        "Objects detected, by class.",
        &[],
    ),
    (
        Kind::Histogram,
        "hsi_detection_stage_seconds",
        "Time in each step of detecting one file.",
        &[],
    ),
    (
        Kind::Histogram,
        "hsi_detector_forward_seconds",
        "Time of one forward pass of the detector.",
        UNLABELLED,
    ),
    (
        Kind::Histogram,
        "hsi_detector_batch_size",
        "Images per forward pass.",
        UNLABELLED,
    ),
];

const BATCH_AGGREGATOR: &[Entry] = &[
    (
        Kind::Gauge,
        "hsi_open_batches",
        "Batches open (collecting detections) now.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_batches_closed_total",
        "Batches closed, by reason.",
        &[],
    ),
    (
        Kind::Histogram,
        "hsi_batch_size",
        "Detections per closed batch.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_detections_rebatched_total",
        "Detections the recovery sweep batched again.",
        UNLABELLED,
    ),
];

const ANALYSIS_WORKER: &[Entry] = &[
    (
        Kind::Counter,
        "hsi_events_total",
        "Events judged, by level and whether the fallback scored them.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_judgements_total",
        "Judgements, by who made them (llm or the rule-based fallback).",
        &[&[("outcome", "llm")], &[("outcome", "fallback")]],
    ),
    (
        Kind::Counter,
        "hsi_judgements_skipped_total",
        "Judgements left to the fallback because the LLM was busy.",
        &[&[("reason", "llm_busy")]],
    ),
    (
        Kind::Gauge,
        "hsi_judgements_queued",
        "Fast-path events waiting for their judgement.",
        UNLABELLED,
    ),
    (
        Kind::Histogram,
        "hsi_analysis_seconds",
        "Time to judge one batch, by whether the fallback did.",
        &[],
    ),
    (
        Kind::Histogram,
        "hsi_llm_request_seconds",
        "Time of one request to the LLM.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_llm_failures_total",
        "Judgements for which no usable LLM reply came.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_llm_replies_total",
        "LLM replies, by outcome and constraint method.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_llm_format_rejections_total",
        "Constraint methods the LLM server refused.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_llm_tokens_total",
        "LLM tokens, by kind.",
        &[&[("kind", "prompt")], &[("kind", "completion")]],
    ),
    (
        Kind::Counter,
        "hsi_llm_level_mismatch_total",
        "LLM replies whose level disagreed with their score.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_llm_adjustments_bounded_total",
        "LLM scores held to the evidence's bounds.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_llm_summaries_replaced_total",
        "LLM summaries replaced by the facts.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_alerts_created_total",
        "Alerts raised, by severity.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_alerts_suppressed_total",
        "Alerts not raised, by reason.",
        &[&[("reason", "duplicate")], &[("reason", "cooldown")]],
    ),
    (
        Kind::Counter,
        "hsi_alert_revisions_total",
        "Fast-path alerts revised by their judgement, by change.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_alert_deliveries_total",
        "Deliveries to a channel, by channel and outcome.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_alerts_undeliverable_total",
        "Alerts whose delivery failed for good.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_alert_history_write_failures_total",
        "Delivery history rows that could not be written.",
        UNLABELLED,
    ),
];

const GATEWAY: &[Entry] = &[
    (Kind::Histogram, "hsi_api_request_duration_seconds", "API request duration, by api (rest or grpc), route template or gRPC method, method and status.", &[]),
    (Kind::Counter, "hsi_gateway_rate_limited_total", "Requests refused by the rate limit.", UNLABELLED),
    (Kind::Counter, "hsi_gateway_audit_write_failures_total", "Audit records that could not be written.", UNLABELLED),
];

/// Metrics of every service that consumes or produces a stream (`hsi-queue`).
const QUEUE: &[Entry] = &[
    (
        Kind::Gauge,
        "hsi_queue_length",
        "Entries in the stream, by stream.",
        &[],
    ),
    (
        Kind::Gauge,
        "hsi_queue_pending",
        "Entries delivered and not yet acknowledged, by stream.",
        &[],
    ),
    (
        Kind::Gauge,
        "hsi_queue_dead_letters",
        "Entries in the stream's dead-letter stream, by stream.",
        &[],
    ),
    (
        Kind::Counter,
        "hsi_queue_backpressure_total",
        "Publishes refused because the stream was full, by stream.",
        &[],
    ),
];

/// Every service's log lines to the `logs` table (`hsi_db::log_writer`, `log_capture`).
const LOGS: &[Entry] = &[
    (
        Kind::Counter,
        "hsi_logs_written_total",
        "Log lines written to the logs table.",
        UNLABELLED,
    ),
    (
        Kind::Counter,
        "hsi_logs_dropped_total",
        "Log lines not written to the logs table, by reason (buffer_full, database).",
        &[&[("reason", "buffer_full")], &[("reason", "database")]],
    ),
];

/// Describes and registers the metrics of `service` (its [`crate::Service::name`]).
pub fn register(service: &str) {
    let (own, stages, ends): (&[Entry], &[Stage], &[Until]) = match service {
        "file-watcher" => (FILE_WATCHER, &[Stage::Enqueued], &[]),
        "detection-worker" => (DETECTION_WORKER, &[Stage::Detected], &[]),
        "batch-aggregator" => (BATCH_AGGREGATOR, &[Stage::Batched], &[]),
        "analysis-worker" => (
            ANALYSIS_WORKER,
            &[Stage::Judged, Stage::Alerted, Stage::Delivered],
            &[Until::Alerted, Until::Delivered],
        ),
        "api-gateway" => (GATEWAY, &[], &[]),
        _ => (&[], &[], &[]),
    };
    let queue: &[Entry] = if service == "api-gateway" { &[] } else { QUEUE };
    for entry in own.iter().chain(queue).chain(LOGS) {
        register_entry(entry);
    }
    // The work stream each service publishes to, whose refusals are its backpressure.
    let produces = match service {
        "file-watcher" => Some("files"),
        "detection-worker" => Some("detections"),
        "batch-aggregator" => Some("batches"),
        _ => None,
    };
    if let Some(stream) = produces {
        metrics::counter!("hsi_queue_backpressure_total", "stream" => stream).increment(0);
    }
    if !stages.is_empty() {
        metrics::describe_histogram!(
            STAGE_SECONDS,
            "Time a file's work took to reach each stage from the one before (landed, enqueued, detected, batched, judged, alerted, delivered)."
        );
    }
    for stage in stages {
        let _ = metrics::histogram!(STAGE_SECONDS, "stage" => stage.as_str());
    }
    if !ends.is_empty() {
        metrics::describe_histogram!(
            END_TO_END_SECONDS,
            "Time from a file landing in its camera folder until its alert was raised or delivered."
        );
    }
    for until in ends {
        let _ = metrics::histogram!(END_TO_END_SECONDS, "until" => until.as_str());
    }
}

fn register_entry(&(kind, name, help, label_sets): &Entry) {
    match kind {
        Kind::Counter => metrics::describe_counter!(name, help),
        Kind::Gauge => metrics::describe_gauge!(name, help),
        Kind::Histogram => metrics::describe_histogram!(name, help),
    }
    for labels in label_sets {
        let labels: Vec<metrics::Label> = labels
            .iter()
            .map(|&(key, value)| metrics::Label::new(key, value))
            .collect();
        // Registering is what makes the series render; a zero increment (or a
        // histogram handle with no sample) changes no value.
        match kind {
            Kind::Counter => metrics::counter!(name, labels).increment(0),
            Kind::Gauge => metrics::gauge!(name, labels).increment(0.0),
            Kind::Histogram => {
                let _ = metrics::histogram!(name, labels);
            }
        }
    }
}
