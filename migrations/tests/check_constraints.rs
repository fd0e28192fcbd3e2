//! Table-driven: every CHECK constraint refuses a bad row and accepts the edge values,
//! and every enum type refuses an unknown label and accepts each of its labels.
//!
//! To prove that a refusal comes from the constraint under test and not from another
//! one, each bad row is inserted in a rolled-back transaction in which the table's other
//! CHECK constraints have been dropped.

mod common;

use common::{in_rolled_back_tx, insert_fixture, strings};
use hsi_testkit::TestDatabase;
use std::collections::BTreeSet;

type Row = &'static [(&'static str, &'static str)];

struct Case {
    constraint: &'static str,
    table: &'static str,
    bad: &'static [Row],
    good: &'static [Row],
}

/// A row each table accepts; cases override some of its columns.
fn base_row(table: &str) -> Row {
    match table {
        "cameras" => &[
            ("id", "'cam_check'"),
            ("name", "'Check'"),
            ("folder_path", "'/c'"),
        ],
        "detections" => &[("camera_id", "'cam_a'"), ("file_path", "'/c/1.jpg'")],
        "events" => &[
            ("batch_id", "'b-check'"),
            ("camera_id", "'cam_a'"),
            ("started_at", "'2026-01-01T10:00:00Z'"),
        ],
        "event_audits" => &[("event_id", "1")],
        "pose_results" | "demographics_results" => &[("detection_id", "1")],
        "event_feedback" => &[("event_id", "1"), ("feedback_type", "'correct'")],
        "alert_rules" => &[("name", "'rule'")],
        "alert_deliveries" => &[
            ("alert_id", "'00000000-0000-0000-0000-00000000a1e7'"),
            ("attempt", "1"),
            ("channel_index", "0"),
            ("channel_type", "'webhook'"),
            ("started_at", "now()"),
            ("finished_at", "now()"),
            ("outcome", "'delivered'"),
        ],
        "alerts" => &[("event_id", "1"), ("dedup_key", "'k'")],
        "media_files" => &[
            ("camera_id", "'cam_a'"),
            ("path", "'/c/1.jpg'"),
            ("path_bytes", "'\\x2f'"),
            ("size_bytes", "100"),
            ("sha256", "repeat('a', 64)"),
            ("media_kind", "'image'"),
            ("state", "'accepted'"),
            ("message_id", "'m-check'"),
        ],
        "processed_files" => &[("message_id", "'p-check'"), ("outcome", "'detected'")],
        "entities" => &[("entity_type", "'person'")],
        "camera_zones" => &[
            ("id", "'zone_check'"),
            ("camera_id", "'cam_a'"),
            ("name", "'Porch'"),
            ("coordinates", "'[[0,0],[1,0],[1,1]]'"),
        ],
        "activity_baselines" => &[
            ("camera_id", "'cam_a'"),
            ("hour", "0"),
            ("day_of_week", "0"),
        ],
        "class_baselines" => &[
            ("camera_id", "'cam_a'"),
            ("detection_class", "'person'"),
            ("hour", "0"),
        ],
        "scene_changes" => &[("camera_id", "'cam_a'"), ("similarity_score", "0.5")],
        "notification_preferences" => &[("id", "1")],
        "camera_notification_settings" => &[("camera_id", "'cam_a'")],
        "quiet_hours_periods" => &[
            ("label", "'night'"),
            ("start_time", "'22:00'"),
            ("end_time", "'23:00'"),
        ],
        "user_calibration" => &[("user_id", "'alice'")],
        "prompt_configs" => &[("model", "'x-clip'"), ("system_prompt", "'be careful'")],
        "prompt_versions" => &[
            ("model", "'nemotron'"),
            ("version", "1"),
            ("config_json", "'{}'"),
        ],
        "api_keys" => &[("key_hash", "repeat('a', 64)"), ("name", "'key'")],
        "audit_logs" => &[
            ("action", "'login'"),
            ("resource_type", "'session'"),
            ("actor", "'alice'"),
        ],
        "logs" => &[
            ("level", "'INFO'"),
            ("component", "'test'"),
            ("message", "'hello'"),
        ],
        "jobs" => &[
            ("id", "'job-1'"),
            ("job_type", "'export'"),
            ("created_at", "'2026-01-01T10:00:00Z'"),
        ],
        "job_attempts" => &[
            ("job_id", "gen_random_uuid()"),
            ("started_at", "'2026-01-01T10:00:00Z'"),
        ],
        "job_logs" => &[("job_id", "gen_random_uuid()"), ("message", "'m'")],
        "job_transitions" => &[
            ("job_id", "'job-1'"),
            ("from_status", "'queued'"),
            ("to_status", "'running'"),
        ],
        "export_jobs" => &[("export_type", "'events'")],
        "backup_jobs" | "restore_jobs" => &[],
        "threat_detections" => &[
            ("detection_id", "1"),
            ("threat_type", "'knife'"),
            ("confidence", "0.5"),
            ("severity", "'high'"),
        ],
        "reid_embeddings" => &[("detection_id", "1"), ("embedding", "'[0.1, 0.2]'")],
        "action_results" => &[("detection_id", "1"), ("action", "'walking'")],
        other => panic!("no base row for table {other}"),
    }
}

fn insert_sql(table: &str, overrides: &[(&str, &str)]) -> String {
    let mut columns: Vec<(&str, &str)> = base_row(table)
        .iter()
        .filter(|(column, _)| !overrides.iter().any(|(c, _)| c == column))
        .copied()
        .collect();
    columns.extend_from_slice(overrides);
    if columns.is_empty() {
        return format!("INSERT INTO {table} DEFAULT VALUES");
    }
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let values: Vec<&str> = columns.iter().map(|(_, v)| *v).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        values.join(", ")
    )
}

fn prepare(table: &str) -> Vec<String> {
    match table {
        // The singleton row exists from the migration; make room for the test row.
        "notification_preferences" => vec!["DELETE FROM notification_preferences".to_owned()],
        // A delivery belongs to an alert.
        "alert_deliveries" => vec!["INSERT INTO alerts (id, event_id, dedup_key) VALUES \
             ('00000000-0000-0000-0000-00000000a1e7', 1, 'k') ON CONFLICT DO NOTHING"
            .to_owned()],
        _ => Vec::new(),
    }
}

macro_rules! score_case {
    ($name:literal, $column:literal) => {
        Case {
            constraint: $name,
            table: "event_audits",
            bad: &[&[($column, "0.99")], &[($column, "5.01")]],
            good: &[
                &[($column, "1.0")],
                &[($column, "5.0")],
                &[($column, "NULL")],
            ],
        }
    };
}

const CASES: &[Case] = &[
    // cameras
    Case {
        constraint: "ck_cameras_id_format",
        table: "cameras",
        bad: &[
            &[("id", "'Front Door'")],
            &[("id", "'_front'")],
            &[("id", "'front__door'")],
            &[("id", "'front_'")],
            &[("id", "''")],
        ],
        good: &[&[("id", "'a'")], &[("id", "'front_door_2'")]],
    },
    Case {
        constraint: "ck_cameras_name_not_blank",
        table: "cameras",
        bad: &[&[("name", "'   '")]],
        good: &[&[("name", "'x'")]],
    },
    Case {
        constraint: "ck_cameras_status",
        table: "cameras",
        bad: &[&[("status", "'paused'")]],
        good: &[
            &[("status", "'online'")],
            &[("status", "'offline'")],
            &[("status", "'error'")],
            &[("status", "'unknown'")],
        ],
    },
    // detections
    Case {
        constraint: "ck_detections_confidence",
        table: "detections",
        bad: &[&[("confidence", "-0.01")], &[("confidence", "1.01")]],
        good: &[
            &[("confidence", "0.0")],
            &[("confidence", "1.0")],
            &[("confidence", "NULL")],
        ],
    },
    Case {
        constraint: "ck_detections_media_type",
        table: "detections",
        bad: &[&[("media_type", "'gif'")]],
        good: &[
            &[("media_type", "'image'")],
            &[("media_type", "'video'")],
            &[("media_type", "NULL")],
        ],
    },
    Case {
        constraint: "ck_detections_bbox",
        table: "detections",
        bad: &[
            &[("bbox_x", "-1")],
            &[("bbox_y", "-1")],
            &[("bbox_width", "-1")],
            &[("bbox_height", "-1")],
        ],
        good: &[&[
            ("bbox_x", "0"),
            ("bbox_y", "0"),
            ("bbox_width", "0"),
            ("bbox_height", "0"),
        ]],
    },
    Case {
        constraint: "ck_detections_duration",
        table: "detections",
        bad: &[&[("duration", "-0.1")]],
        good: &[&[("duration", "0.0")]],
    },
    Case {
        constraint: "ck_detections_video_size",
        table: "detections",
        bad: &[&[("video_width", "0")], &[("video_height", "0")]],
        good: &[&[("video_width", "1"), ("video_height", "1")]],
    },
    Case {
        constraint: "ck_detections_frame_size",
        table: "detections",
        bad: &[&[("frame_width", "0")], &[("frame_height", "-1")]],
        good: &[
            &[("frame_width", "1"), ("frame_height", "1")],
            &[("frame_width", "NULL")],
        ],
    },
    Case {
        constraint: "ck_detections_frame",
        table: "detections",
        bad: &[
            &[("frame_index", "-1")],
            &[("object_index", "-1")],
            &[("frame_offset", "-0.5")],
        ],
        good: &[&[
            ("frame_index", "0"),
            ("object_index", "0"),
            ("frame_offset", "0.0"),
        ]],
    },
    // events
    Case {
        constraint: "ck_events_risk_score",
        table: "events",
        bad: &[&[("risk_score", "-1")], &[("risk_score", "101")]],
        good: &[
            &[("risk_score", "0")],
            &[("risk_score", "100")],
            &[("risk_score", "NULL")],
        ],
    },
    Case {
        constraint: "ck_events_risk_level",
        table: "events",
        bad: &[&[("risk_level", "'severe'")], &[("risk_level", "'LOW'")]],
        good: &[
            &[("risk_level", "'low'")],
            &[("risk_level", "'medium'")],
            &[("risk_level", "'high'")],
            &[("risk_level", "'critical'")],
        ],
    },
    Case {
        constraint: "ck_events_time_order",
        table: "events",
        bad: &[&[("ended_at", "'2026-01-01T09:59:59Z'")]],
        good: &[
            &[("ended_at", "'2026-01-01T10:00:00Z'")],
            &[("ended_at", "NULL")],
        ],
    },
    Case {
        constraint: "ck_events_summary_length",
        table: "events",
        bad: &[&[("summary", "repeat('x', 2001)")]],
        good: &[&[("summary", "repeat('x', 2000)")]],
    },
    // event_audits
    Case {
        constraint: "ck_event_audits_enrichment_utilization",
        table: "event_audits",
        bad: &[
            &[("enrichment_utilization", "-0.01")],
            &[("enrichment_utilization", "1.01")],
        ],
        good: &[
            &[("enrichment_utilization", "0.0")],
            &[("enrichment_utilization", "1.0")],
        ],
    },
    score_case!("ck_event_audits_context_usage_score", "context_usage_score"),
    score_case!(
        "ck_event_audits_reasoning_coherence_score",
        "reasoning_coherence_score"
    ),
    score_case!(
        "ck_event_audits_risk_justification_score",
        "risk_justification_score"
    ),
    score_case!("ck_event_audits_consistency_score", "consistency_score"),
    score_case!(
        "ck_event_audits_overall_quality_score",
        "overall_quality_score"
    ),
    Case {
        constraint: "ck_event_audits_prompt_metrics",
        table: "event_audits",
        bad: &[
            &[("prompt_length", "-1")],
            &[("prompt_token_estimate", "-1")],
        ],
        good: &[&[("prompt_length", "0"), ("prompt_token_estimate", "0")]],
    },
    // event_feedback
    Case {
        constraint: "ck_event_feedback_type",
        table: "event_feedback",
        bad: &[&[("feedback_type", "'meh'")]],
        good: &[
            &[("feedback_type", "'accurate'")],
            &[("feedback_type", "'correct'")],
            &[("feedback_type", "'false_positive'")],
            &[("feedback_type", "'missed_threat'")],
            &[("feedback_type", "'severity_wrong'")],
        ],
    },
    Case {
        constraint: "ck_event_feedback_expected_severity",
        table: "event_feedback",
        bad: &[&[("expected_severity", "'severe'")]],
        good: &[
            &[("expected_severity", "NULL")],
            &[("expected_severity", "'low'")],
            &[("expected_severity", "'critical'")],
        ],
    },
    // alert_rules and alerts
    Case {
        constraint: "ck_alert_rules_risk_threshold",
        table: "alert_rules",
        bad: &[&[("risk_threshold", "-1")], &[("risk_threshold", "101")]],
        good: &[
            &[("risk_threshold", "0")],
            &[("risk_threshold", "100")],
            &[("risk_threshold", "NULL")],
        ],
    },
    Case {
        constraint: "ck_alert_rules_min_confidence",
        table: "alert_rules",
        bad: &[
            &[("min_confidence", "-0.01")],
            &[("min_confidence", "1.01")],
        ],
        good: &[
            &[("min_confidence", "0.0")],
            &[("min_confidence", "1.0")],
            &[("min_confidence", "NULL")],
        ],
    },
    Case {
        constraint: "ck_alert_rules_cooldown_seconds",
        table: "alert_rules",
        bad: &[&[("cooldown_seconds", "-1")]],
        good: &[&[("cooldown_seconds", "0")]],
    },
    Case {
        constraint: "ck_alerts_version_id",
        table: "alerts",
        bad: &[&[("version_id", "0")]],
        good: &[&[("version_id", "1")]],
    },
    Case {
        constraint: "ck_alerts_revision",
        table: "alerts",
        bad: &[&[("revision", "0")]],
        good: &[&[("revision", "1")], &[("revision", "2")]],
    },
    Case {
        constraint: "ck_event_audits_evidence_score",
        table: "event_audits",
        bad: &[&[("evidence_score", "-1")], &[("evidence_score", "101")]],
        good: &[
            &[("evidence_score", "0")],
            &[("evidence_score", "100")],
            &[("evidence_score", "NULL")],
        ],
    },
    Case {
        constraint: "ck_event_audits_stage",
        table: "event_audits",
        bad: &[&[("stage", "'draft'")]],
        good: &[&[("stage", "'provisional'")], &[("stage", "'final'")]],
    },
    // alerts: the delivery outbox
    Case {
        constraint: "ck_alerts_delivery_state",
        table: "alerts",
        bad: &[&[("delivery_state", "'sent'")]],
        good: &[
            &[("delivery_state", "'none'")],
            &[("delivery_state", "'delivered'")],
            &[("delivery_state", "'failed'")],
            &[
                ("delivery_state", "'pending'"),
                ("next_attempt_at", "now()"),
            ],
        ],
    },
    Case {
        constraint: "ck_alerts_delivery_attempts",
        table: "alerts",
        bad: &[&[("delivery_attempts", "-1")]],
        good: &[&[("delivery_attempts", "0")]],
    },
    Case {
        constraint: "ck_alerts_delivery_due",
        table: "alerts",
        bad: &[
            &[("delivery_state", "'pending'")],
            &[
                ("delivery_state", "'delivered'"),
                ("next_attempt_at", "now()"),
            ],
        ],
        good: &[&[
            ("delivery_state", "'retrying'"),
            ("next_attempt_at", "now()"),
        ]],
    },
    // media_files: the file ledger
    Case {
        constraint: "ck_media_files_sha256",
        table: "media_files",
        bad: &[
            &[("sha256", "'abc'")],
            &[("sha256", "repeat('A', 64)")],
            &[("sha256", "repeat('g', 64)")],
        ],
        good: &[&[("sha256", "repeat('0', 64)")]],
    },
    Case {
        constraint: "ck_media_files_size",
        table: "media_files",
        bad: &[&[("size_bytes", "-1")]],
        good: &[&[("size_bytes", "0")]],
    },
    Case {
        constraint: "ck_media_files_media_kind",
        table: "media_files",
        bad: &[&[("media_kind", "'audio'")]],
        good: &[&[("media_kind", "'video'")]],
    },
    Case {
        constraint: "ck_media_files_enqueue_count",
        table: "media_files",
        bad: &[&[("enqueue_count", "-1")]],
        good: &[&[("enqueue_count", "0")]],
    },
    Case {
        constraint: "ck_media_files_accepted",
        table: "media_files",
        bad: &[
            &[("camera_id", "NULL")],
            &[("sha256", "NULL")],
            &[("message_id", "NULL")],
            &[("state", "'abandoned'"), ("media_kind", "NULL")],
        ],
        good: &[&[
            ("state", "'refused'"),
            ("refusal_reason", "'empty'"),
            ("camera_id", "NULL"),
            ("sha256", "NULL"),
            ("message_id", "NULL"),
            ("media_kind", "NULL"),
        ]],
    },
    Case {
        constraint: "ck_media_files_reason",
        table: "media_files",
        bad: &[&[("refusal_reason", "'empty'")], &[("state", "'refused'")]],
        good: &[&[
            ("state", "'abandoned'"),
            ("refusal_reason", "'not_processed'"),
        ]],
    },
    Case {
        constraint: "ck_media_files_duplicate",
        table: "media_files",
        bad: &[&[("state", "'duplicate'"), ("sha256", "NULL")]],
        good: &[&[("state", "'duplicate'"), ("message_id", "NULL")]],
    },
    // processed_files: what the detection worker finished
    Case {
        constraint: "ck_processed_files_outcome",
        table: "processed_files",
        bad: &[&[("outcome", "'ok'")]],
        good: &[&[("outcome", "'failed'"), ("error", "'not an image'")]],
    },
    Case {
        constraint: "ck_processed_files_error",
        table: "processed_files",
        bad: &[&[("error", "'oops'")], &[("outcome", "'failed'")]],
        good: &[&[("outcome", "'detected'"), ("error", "NULL")]],
    },
    Case {
        constraint: "ck_processed_files_counts",
        table: "processed_files",
        bad: &[
            &[("detection_count", "-1")],
            &[("frame_count", "-1")],
            &[("attempts", "0")],
        ],
        good: &[&[
            ("detection_count", "0"),
            ("frame_count", "0"),
            ("attempts", "1"),
        ]],
    },
    // entities
    Case {
        constraint: "ck_entities_entity_type",
        table: "entities",
        bad: &[&[("entity_type", "'robot'")]],
        good: &[
            &[("entity_type", "'person'")],
            &[("entity_type", "'vehicle'")],
            &[("entity_type", "'animal'")],
            &[("entity_type", "'package'")],
            &[("entity_type", "'other'")],
        ],
    },
    Case {
        constraint: "ck_entities_trust_status",
        table: "entities",
        bad: &[&[("trust_status", "'maybe'")]],
        good: &[
            &[("trust_status", "'trusted'")],
            &[("trust_status", "'untrusted'")],
            &[("trust_status", "'unknown'")],
        ],
    },
    Case {
        constraint: "ck_entities_detection_count",
        table: "entities",
        bad: &[&[("detection_count", "-1")]],
        good: &[&[("detection_count", "0")]],
    },
    Case {
        constraint: "ck_entities_seen_order",
        table: "entities",
        bad: &[&[
            ("first_seen_at", "'2026-01-02T00:00:00Z'"),
            ("last_seen_at", "'2026-01-01T00:00:00Z'"),
        ]],
        good: &[&[
            ("first_seen_at", "'2026-01-01T00:00:00Z'"),
            ("last_seen_at", "'2026-01-01T00:00:00Z'"),
        ]],
    },
    // camera_zones
    Case {
        constraint: "ck_camera_zones_priority",
        table: "camera_zones",
        bad: &[&[("priority", "-1")]],
        good: &[&[("priority", "0")]],
    },
    Case {
        constraint: "ck_camera_zones_color",
        table: "camera_zones",
        bad: &[
            &[("color", "'blue'")],
            &[("color", "'#12345G'")],
            &[("color", "'123456'")],
        ],
        good: &[&[("color", "'#aBcDeF'")], &[("color", "'#000000'")]],
    },
    Case {
        constraint: "ck_camera_zones_coordinates",
        table: "camera_zones",
        bad: &[&[("coordinates", "'{\"x\": 1}'")]],
        good: &[&[("coordinates", "'[]'")]],
    },
    // baselines
    Case {
        constraint: "ck_activity_baselines_hour",
        table: "activity_baselines",
        bad: &[&[("hour", "-1")], &[("hour", "24")]],
        good: &[&[("hour", "0")], &[("hour", "23")]],
    },
    Case {
        constraint: "ck_activity_baselines_day_of_week",
        table: "activity_baselines",
        bad: &[&[("day_of_week", "-1")], &[("day_of_week", "7")]],
        good: &[&[("day_of_week", "0")], &[("day_of_week", "6")]],
    },
    Case {
        constraint: "ck_activity_baselines_variance",
        table: "activity_baselines",
        bad: &[&[("count_variance", "-0.01")]],
        good: &[&[("count_variance", "0.0")]],
    },
    Case {
        constraint: "ck_class_baselines_variance",
        table: "class_baselines",
        bad: &[&[("frequency_variance", "-0.01")]],
        good: &[&[("frequency_variance", "0.0")]],
    },
    Case {
        constraint: "ck_event_audits_llm_figures",
        table: "event_audits",
        bad: &[
            &[("llm_latency_ms", "-1")],
            &[("llm_prompt_tokens", "-1")],
            &[("llm_completion_tokens", "-1")],
        ],
        good: &[&[
            ("llm_latency_ms", "0"),
            ("llm_prompt_tokens", "0"),
            ("llm_completion_tokens", "0"),
        ]],
    },
    Case {
        constraint: "ck_event_audits_fallback_reason",
        table: "event_audits",
        bad: &[&[("is_fallback", "false"), ("fallback_reason", "'llm down'")]],
        good: &[
            &[("is_fallback", "true"), ("fallback_reason", "'llm down'")],
            &[("is_fallback", "false")],
        ],
    },
    Case {
        constraint: "ck_activity_baselines_counts",
        table: "activity_baselines",
        bad: &[&[("avg_count", "-0.1")], &[("sample_count", "-1")]],
        good: &[&[("avg_count", "0.0"), ("sample_count", "0")]],
    },
    Case {
        constraint: "ck_class_baselines_hour",
        table: "class_baselines",
        bad: &[&[("hour", "-1")], &[("hour", "24")]],
        good: &[&[("hour", "0")], &[("hour", "23")]],
    },
    Case {
        constraint: "ck_class_baselines_counts",
        table: "class_baselines",
        bad: &[&[("frequency", "-0.1")], &[("sample_count", "-1")]],
        good: &[&[("frequency", "0.0"), ("sample_count", "0")]],
    },
    // scene_changes
    Case {
        constraint: "ck_scene_changes_similarity_score",
        table: "scene_changes",
        bad: &[
            &[("similarity_score", "-0.01")],
            &[("similarity_score", "1.01")],
        ],
        good: &[
            &[("similarity_score", "0.0")],
            &[("similarity_score", "1.0")],
        ],
    },
    // notification settings
    Case {
        constraint: "ck_notification_preferences_singleton",
        table: "notification_preferences",
        bad: &[&[("id", "2")], &[("id", "0")]],
        good: &[&[("id", "1")]],
    },
    Case {
        constraint: "ck_notification_preferences_sound",
        table: "notification_preferences",
        bad: &[&[("sound", "'beep'")]],
        good: &[
            &[("sound", "'none'")],
            &[("sound", "'default'")],
            &[("sound", "'alert'")],
            &[("sound", "'chime'")],
            &[("sound", "'urgent'")],
        ],
    },
    Case {
        constraint: "ck_notification_preferences_risk_filters",
        table: "notification_preferences",
        bad: &[&[("risk_filters", "'{severe}'")]],
        good: &[
            &[("risk_filters", "'{}'")],
            &[("risk_filters", "'{low,medium,high,critical}'")],
        ],
    },
    Case {
        constraint: "ck_camera_notification_settings_risk_threshold",
        table: "camera_notification_settings",
        bad: &[&[("risk_threshold", "-1")], &[("risk_threshold", "101")]],
        good: &[&[("risk_threshold", "0")], &[("risk_threshold", "100")]],
    },
    Case {
        constraint: "ck_quiet_hours_periods_time_range",
        table: "quiet_hours_periods",
        bad: &[
            &[("start_time", "'23:00'"), ("end_time", "'23:00'")],
            &[("start_time", "'23:00'"), ("end_time", "'06:00'")],
        ],
        good: &[&[("start_time", "'00:00'"), ("end_time", "'23:59:59'")]],
    },
    Case {
        constraint: "ck_quiet_hours_periods_days",
        table: "quiet_hours_periods",
        bad: &[&[("days", "'{funday}'")]],
        good: &[&[("days", "'{monday,sunday}'")]],
    },
    // user_calibration
    Case {
        constraint: "ck_user_calibration_low_range",
        table: "user_calibration",
        bad: &[&[("low_threshold", "-1")], &[("low_threshold", "101")]],
        good: &[&[("low_threshold", "0")]],
    },
    Case {
        constraint: "ck_user_calibration_medium_range",
        table: "user_calibration",
        bad: &[
            &[("medium_threshold", "-1")],
            &[("medium_threshold", "101")],
        ],
        good: &[&[("medium_threshold", "31")]],
    },
    Case {
        constraint: "ck_user_calibration_high_range",
        table: "user_calibration",
        bad: &[&[("high_threshold", "101")], &[("high_threshold", "-1")]],
        good: &[&[("high_threshold", "100")]],
    },
    Case {
        constraint: "ck_user_calibration_threshold_order",
        table: "user_calibration",
        bad: &[
            &[("low_threshold", "60")],
            &[("medium_threshold", "85")],
            &[("low_threshold", "50"), ("medium_threshold", "40")],
        ],
        good: &[&[
            ("low_threshold", "59"),
            ("medium_threshold", "60"),
            ("high_threshold", "61"),
        ]],
    },
    Case {
        constraint: "ck_user_calibration_decay_range",
        table: "user_calibration",
        bad: &[&[("decay_factor", "-0.01")], &[("decay_factor", "1.01")]],
        good: &[&[("decay_factor", "0.0")], &[("decay_factor", "1.0")]],
    },
    Case {
        constraint: "ck_user_calibration_correct_count",
        table: "user_calibration",
        bad: &[&[("correct_count", "-1")]],
        good: &[&[("correct_count", "0")]],
    },
    Case {
        constraint: "ck_user_calibration_fp_count",
        table: "user_calibration",
        bad: &[&[("false_positive_count", "-1")]],
        good: &[&[("false_positive_count", "0")]],
    },
    Case {
        constraint: "ck_user_calibration_mt_count",
        table: "user_calibration",
        bad: &[&[("missed_threat_count", "-1")]],
        good: &[&[("missed_threat_count", "0")]],
    },
    Case {
        constraint: "ck_user_calibration_sw_count",
        table: "user_calibration",
        bad: &[&[("severity_wrong_count", "-1")]],
        good: &[&[("severity_wrong_count", "0")]],
    },
    // prompts and keys
    Case {
        constraint: "ck_prompt_configs_temperature",
        table: "prompt_configs",
        bad: &[&[("temperature", "-0.01")], &[("temperature", "2.01")]],
        good: &[&[("temperature", "0.0")], &[("temperature", "2.0")]],
    },
    Case {
        constraint: "ck_prompt_configs_max_tokens",
        table: "prompt_configs",
        bad: &[&[("max_tokens", "99")], &[("max_tokens", "8193")]],
        good: &[&[("max_tokens", "100")], &[("max_tokens", "8192")]],
    },
    Case {
        constraint: "ck_prompt_configs_version",
        table: "prompt_configs",
        bad: &[&[("version", "0")]],
        good: &[&[("version", "1")]],
    },
    Case {
        constraint: "ck_prompt_versions_version",
        table: "prompt_versions",
        bad: &[&[("version", "0")]],
        good: &[&[("version", "1")]],
    },
    Case {
        constraint: "ck_api_keys_key_hash",
        table: "api_keys",
        bad: &[
            &[("key_hash", "repeat('A', 64)")],
            &[("key_hash", "repeat('a', 63)")],
            &[("key_hash", "'not-a-hash'")],
        ],
        good: &[
            &[("key_hash", "repeat('0', 64)")],
            &[("key_hash", "repeat('f', 64)")],
        ],
    },
    // audit and logs
    Case {
        constraint: "ck_audit_logs_status",
        table: "audit_logs",
        bad: &[&[("status", "'ok'")]],
        good: &[&[("status", "'success'")], &[("status", "'failure'")]],
    },
    Case {
        constraint: "ck_logs_level",
        table: "logs",
        bad: &[&[("level", "'info'")], &[("level", "'TRACE'")]],
        good: &[
            &[("level", "'DEBUG'")],
            &[("level", "'INFO'")],
            &[("level", "'WARNING'")],
            &[("level", "'ERROR'")],
            &[("level", "'CRITICAL'")],
        ],
    },
    Case {
        constraint: "ck_logs_source",
        table: "logs",
        bad: &[&[("source", "'mobile'")]],
        good: &[&[("source", "'backend'")], &[("source", "'frontend'")]],
    },
    // jobs
    Case {
        constraint: "ck_jobs_status",
        table: "jobs",
        bad: &[&[("status", "'paused'")]],
        good: &[
            &[("status", "'queued'")],
            &[("status", "'running'")],
            &[("status", "'completed'")],
            &[("status", "'failed'")],
            &[("status", "'cancelled'")],
        ],
    },
    Case {
        constraint: "ck_jobs_progress_percent",
        table: "jobs",
        bad: &[
            &[("progress_percent", "-1")],
            &[("progress_percent", "101")],
        ],
        good: &[&[("progress_percent", "0")], &[("progress_percent", "100")]],
    },
    Case {
        constraint: "ck_jobs_priority",
        table: "jobs",
        bad: &[&[("priority", "-1")], &[("priority", "5")]],
        good: &[&[("priority", "0")], &[("priority", "4")]],
    },
    Case {
        constraint: "ck_jobs_attempt_number",
        table: "jobs",
        bad: &[&[("attempt_number", "0")]],
        good: &[&[("attempt_number", "1")]],
    },
    Case {
        constraint: "ck_jobs_max_attempts",
        table: "jobs",
        bad: &[&[("max_attempts", "0")]],
        good: &[&[("max_attempts", "1")]],
    },
    Case {
        constraint: "ck_jobs_completed_after_created",
        table: "jobs",
        bad: &[&[("completed_at", "'2026-01-01T09:59:59Z'")]],
        good: &[&[("completed_at", "'2026-01-01T10:00:00Z'")]],
    },
    Case {
        constraint: "ck_jobs_started_after_created",
        table: "jobs",
        bad: &[&[("started_at", "'2026-01-01T09:59:59Z'")]],
        good: &[&[("started_at", "'2026-01-01T10:00:00Z'")]],
    },
    Case {
        constraint: "ck_job_attempts_status",
        table: "job_attempts",
        bad: &[&[("status", "'running'")]],
        good: &[
            &[("status", "'started'")],
            &[("status", "'succeeded'")],
            &[("status", "'failed'")],
            &[("status", "'cancelled'")],
        ],
    },
    Case {
        constraint: "ck_job_attempts_attempt_number",
        table: "job_attempts",
        bad: &[&[("attempt_number", "0")]],
        good: &[&[("attempt_number", "1")]],
    },
    Case {
        constraint: "ck_job_attempts_ended_after_started",
        table: "job_attempts",
        bad: &[&[("ended_at", "'2026-01-01T09:59:59Z'")]],
        good: &[&[("ended_at", "'2026-01-01T10:00:00Z'")]],
    },
    Case {
        constraint: "ck_job_logs_level",
        table: "job_logs",
        bad: &[&[("level", "'INFO'")]],
        good: &[
            &[("level", "'debug'")],
            &[("level", "'info'")],
            &[("level", "'warning'")],
            &[("level", "'error'")],
        ],
    },
    Case {
        constraint: "ck_job_logs_attempt_number",
        table: "job_logs",
        bad: &[&[("attempt_number", "0")]],
        good: &[&[("attempt_number", "1")]],
    },
    Case {
        constraint: "ck_job_transitions_triggered_by",
        table: "job_transitions",
        bad: &[&[("triggered_by", "'cron'")]],
        good: &[
            &[("triggered_by", "'worker'")],
            &[("triggered_by", "'user'")],
            &[("triggered_by", "'timeout'")],
            &[("triggered_by", "'retry'")],
            &[("triggered_by", "'system'")],
        ],
    },
    // export, backup and restore jobs
    Case {
        constraint: "ck_export_jobs_export_type",
        table: "export_jobs",
        bad: &[&[("export_type", "'cameras'")]],
        good: &[
            &[("export_type", "'events'")],
            &[("export_type", "'alerts'")],
            &[("export_type", "'full_backup'")],
        ],
    },
    Case {
        constraint: "ck_export_jobs_export_format",
        table: "export_jobs",
        bad: &[&[("export_format", "'pdf'")]],
        good: &[
            &[("export_format", "'csv'")],
            &[("export_format", "'json'")],
            &[("export_format", "'zip'")],
            &[("export_format", "'excel'")],
        ],
    },
    Case {
        constraint: "ck_export_jobs_progress_percent",
        table: "export_jobs",
        bad: &[
            &[("progress_percent", "-1")],
            &[("progress_percent", "101")],
        ],
        good: &[&[("progress_percent", "0")], &[("progress_percent", "100")]],
    },
    Case {
        constraint: "ck_export_jobs_processed_items",
        table: "export_jobs",
        bad: &[&[("processed_items", "-1")]],
        good: &[&[("processed_items", "0")]],
    },
    Case {
        constraint: "ck_export_jobs_total_items",
        table: "export_jobs",
        bad: &[&[("total_items", "-1")]],
        good: &[&[("total_items", "0")], &[("total_items", "NULL")]],
    },
    Case {
        constraint: "ck_export_jobs_output_size_bytes",
        table: "export_jobs",
        bad: &[&[("output_size_bytes", "-1")]],
        good: &[&[("output_size_bytes", "0")]],
    },
    Case {
        constraint: "ck_export_jobs_download_count",
        table: "export_jobs",
        bad: &[&[("download_count", "-1")]],
        good: &[&[("download_count", "0")]],
    },
    Case {
        constraint: "ck_export_jobs_retention_days",
        table: "export_jobs",
        bad: &[&[("retention_days", "0")]],
        good: &[&[("retention_days", "1")], &[("retention_days", "NULL")]],
    },
    Case {
        constraint: "ck_backup_jobs_progress_percent",
        table: "backup_jobs",
        bad: &[
            &[("progress_percent", "-1")],
            &[("progress_percent", "101")],
        ],
        good: &[&[("progress_percent", "0")], &[("progress_percent", "100")]],
    },
    Case {
        constraint: "ck_restore_jobs_progress_percent",
        table: "restore_jobs",
        bad: &[
            &[("progress_percent", "-1")],
            &[("progress_percent", "101")],
        ],
        good: &[&[("progress_percent", "0")], &[("progress_percent", "100")]],
    },
    // enrichment
    Case {
        constraint: "ck_pose_results_confidence",
        table: "pose_results",
        bad: &[&[("confidence", "-0.01")], &[("confidence", "1.01")]],
        good: &[&[("confidence", "0.0")], &[("confidence", "1.0")]],
    },
    Case {
        constraint: "ck_threat_detections_threat_type",
        table: "threat_detections",
        bad: &[&[("threat_type", "'spoon'")]],
        good: &[
            &[("threat_type", "'gun'")],
            &[("threat_type", "'knife'")],
            &[("threat_type", "'grenade'")],
            &[("threat_type", "'explosive'")],
            &[("threat_type", "'weapon'")],
        ],
    },
    Case {
        constraint: "ck_threat_detections_severity",
        table: "threat_detections",
        bad: &[&[("severity", "'severe'")]],
        good: &[&[("severity", "'low'")], &[("severity", "'critical'")]],
    },
    Case {
        constraint: "ck_threat_detections_confidence",
        table: "threat_detections",
        bad: &[&[("confidence", "-0.01")], &[("confidence", "1.01")]],
        good: &[&[("confidence", "0.0")], &[("confidence", "1.0")]],
    },
    Case {
        constraint: "ck_demographics_results_gender",
        table: "demographics_results",
        bad: &[&[("gender", "'x'")]],
        good: &[
            &[("gender", "'male'")],
            &[("gender", "'female'")],
            &[("gender", "'unknown'")],
            &[("gender", "NULL")],
        ],
    },
    Case {
        constraint: "ck_demographics_results_confidences",
        table: "demographics_results",
        bad: &[
            &[("age_confidence", "1.01")],
            &[("gender_confidence", "-0.01")],
        ],
        good: &[&[("age_confidence", "0.0"), ("gender_confidence", "1.0")]],
    },
    Case {
        constraint: "ck_reid_embeddings_embedding",
        table: "reid_embeddings",
        bad: &[&[("embedding", "'{\"v\": 1}'")]],
        good: &[&[("embedding", "'[]'")]],
    },
    // api_keys: scopes and public key ids (the gateway's keys)
    Case {
        constraint: "ck_api_keys_scope",
        table: "api_keys",
        bad: &[&[("scope", "'root'")]],
        good: &[
            &[("scope", "'read'")],
            &[("scope", "'operator'")],
            &[("scope", "'admin'")],
        ],
    },
    Case {
        constraint: "ck_api_keys_key_id",
        table: "api_keys",
        bad: &[&[("key_id", "'xyz'")], &[("key_id", "repeat('G', 16)")]],
        good: &[&[("key_id", "repeat('a', 16)")]],
    },
    Case {
        constraint: "ck_api_keys_name_not_blank",
        table: "api_keys",
        bad: &[&[("name", "'  '")]],
        good: &[&[("name", "'kiosk'")]],
    },
    // alert_deliveries: the delivery history
    Case {
        constraint: "ck_alert_deliveries_outcome",
        table: "alert_deliveries",
        bad: &[&[("outcome", "'sent'")]],
        good: &[&[("outcome", "'failed'")], &[("outcome", "'retrying'")]],
    },
    Case {
        constraint: "ck_alert_deliveries_attempt",
        table: "alert_deliveries",
        bad: &[&[("attempt", "0")]],
        good: &[&[("attempt", "2")]],
    },
    Case {
        constraint: "ck_alert_deliveries_channel_index",
        table: "alert_deliveries",
        bad: &[&[("channel_index", "-1")]],
        good: &[&[("channel_index", "3")]],
    },
    Case {
        constraint: "ck_alert_deliveries_requests",
        table: "alert_deliveries",
        bad: &[&[("requests", "-1")]],
        good: &[&[("requests", "2")]],
    },
    Case {
        constraint: "ck_action_results_confidence",
        table: "action_results",
        bad: &[&[("confidence", "-0.01")], &[("confidence", "1.01")]],
        good: &[&[("confidence", "0.0")], &[("confidence", "1.0")]],
    },
];

async fn other_checks(db: &TestDatabase, case: &Case) -> Vec<String> {
    strings(
        &db.conn,
        &format!(
            "SELECT conname::text FROM pg_constraint WHERE contype = 'c' AND conrelid = '{}'::regclass AND conname <> '{}'",
            case.table, case.constraint
        ),
    )
    .await
}

#[tokio::test]
async fn every_check_constraint_is_covered_by_a_case() {
    let db = TestDatabase::migrated().await;
    let in_schema: BTreeSet<String> = strings(
        &db.conn,
        "SELECT conname::text FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace",
    )
    .await
    .into_iter()
    .collect();
    let covered: BTreeSet<String> = CASES
        .iter()
        .map(|case| case.constraint.to_owned())
        .collect();
    let missing: Vec<_> = in_schema.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&in_schema).collect();
    assert!(
        missing.is_empty(),
        "CHECK constraints without a test case: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "test cases for constraints that do not exist: {unknown:?}"
    );
}

#[tokio::test]
async fn every_check_constraint_refuses_bad_rows_and_accepts_edges() {
    let db = TestDatabase::migrated().await;
    insert_fixture(&db.conn).await;
    let mut failures = Vec::new();
    for case in CASES {
        let drops: Vec<String> = other_checks(&db, case)
            .await
            .into_iter()
            .map(|name| format!("ALTER TABLE {} DROP CONSTRAINT {name}", case.table))
            .collect();
        for bad in case.bad {
            let mut statements = prepare(case.table);
            statements.extend(drops.iter().cloned());
            statements.push(insert_sql(case.table, bad));
            match in_rolled_back_tx(&db.conn, &statements).await {
                Ok(()) => failures.push(format!("{}: accepted bad row {bad:?}", case.constraint)),
                Err(err) if err.to_string().contains(case.constraint) => {}
                Err(err) => failures.push(format!(
                    "{}: bad row {bad:?} failed otherwise: {err}",
                    case.constraint
                )),
            }
        }
        for good in case.good {
            let mut statements = prepare(case.table);
            statements.push(insert_sql(case.table, good));
            if let Err(err) = in_rolled_back_tx(&db.conn, &statements).await {
                failures.push(format!(
                    "{}: refused edge row {good:?}: {err}",
                    case.constraint
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each enum type with a column that uses it and the labels the documents give.
const ENUMS: &[(&str, &str, &str, &[&str])] = &[
    (
        "alert_severity",
        "alert_rules",
        "severity",
        &["low", "medium", "high", "critical"],
    ),
    (
        "alert_status",
        "alerts",
        "status",
        &["pending", "delivered", "acknowledged", "dismissed"],
    ),
    (
        "camera_zone_type_enum",
        "camera_zones",
        "zone_type",
        &["entry_point", "driveway", "sidewalk", "yard", "other"],
    ),
    (
        "camera_zone_shape_enum",
        "camera_zones",
        "shape",
        &["rectangle", "polygon"],
    ),
    (
        "scene_change_type_enum",
        "scene_changes",
        "change_type",
        &["view_blocked", "angle_changed", "view_tampered", "unknown"],
    ),
    (
        "ai_model_enum",
        "prompt_versions",
        "model",
        &[
            "nemotron",
            "florence2",
            "yolo_world",
            "xclip",
            "fashion_clip",
        ],
    ),
    (
        "export_job_status",
        "export_jobs",
        "status",
        &["pending", "running", "completed", "failed"],
    ),
    (
        "backup_job_status",
        "backup_jobs",
        "status",
        &["pending", "running", "completed", "failed"],
    ),
    (
        "restore_job_status",
        "restore_jobs",
        "status",
        &["pending", "validating", "restoring", "completed", "failed"],
    ),
    (
        "media_file_state",
        "media_files",
        "state",
        &["accepted", "refused", "duplicate", "abandoned"],
    ),
];

/// What a row needs besides its label for the other constraints to hold.
fn label_row(type_name: &str, label: &str) -> Row {
    match (type_name, label) {
        ("media_file_state", "refused" | "abandoned") => &[("refusal_reason", "'a reason'")],
        _ => &[],
    }
}

#[tokio::test]
async fn every_enum_refuses_unknown_labels_and_accepts_its_own() {
    let db = TestDatabase::migrated().await;
    insert_fixture(&db.conn).await;
    let types: BTreeSet<String> = strings(
        &db.conn,
        "SELECT t.typname::text FROM pg_type t WHERE t.typtype = 'e' AND t.typnamespace = 'public'::regnamespace",
    )
    .await
    .into_iter()
    .collect();
    let tested: BTreeSet<String> = ENUMS.iter().map(|(name, ..)| (*name).to_owned()).collect();
    assert_eq!(types, tested, "every enum type has a case");

    let mut failures = Vec::new();
    for (type_name, table, column, labels) in ENUMS {
        let labels_in_db = strings(
            &db.conn,
            &format!("SELECT unnest(enum_range(NULL::{type_name}))::text"),
        )
        .await;
        if labels_in_db != *labels {
            failures.push(format!(
                "{type_name} has labels {labels_in_db:?}, documents say {labels:?}"
            ));
        }
        let bad = format!("'bogus_{type_name}'");
        let statement = insert_sql(table, &[(column, &bad)]);
        match in_rolled_back_tx(&db.conn, &[statement]).await {
            Ok(()) => failures.push(format!("{type_name}: accepted an unknown label")),
            Err(err)
                if err
                    .to_string()
                    .contains(&format!("invalid input value for enum {type_name}")) => {}
            Err(err) => failures.push(format!(
                "{type_name}: unknown label failed otherwise: {err}"
            )),
        }
        for label in *labels {
            let value = format!("'{label}'");
            let mut row = vec![(*column, value.as_str())];
            row.extend_from_slice(label_row(type_name, label));
            let statement = insert_sql(table, &row);
            if let Err(err) = in_rolled_back_tx(&db.conn, &[statement]).await {
                failures.push(format!("{type_name}: refused {label}: {err}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
