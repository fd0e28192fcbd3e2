//! Each service's role may write its own slice of the schema (and append to `logs`),
//! and is refused with a permission error on every other service's tables.

mod common;

use common::{insert_fixture, try_exec};
use hsi_core::Service;
use hsi_testkit::TestDatabase;

struct Grants {
    service: Service,
    allowed: &'static [&'static str],
    denied: &'static [&'static str],
}

const LOG: &str = "INSERT INTO logs (level, component, message) VALUES ('INFO', 'test', 'hello')";

const GRANTS: &[Grants] = &[
    Grants {
        service: Service::FileWatcher,
        allowed: &[
            "INSERT INTO cameras (id, name, folder_path) VALUES ('porch', 'Porch', '/cams/Porch')",
            "UPDATE cameras SET last_seen_at = now(), status = 'online' WHERE id = 'cam_a'",
            "INSERT INTO scene_changes (camera_id, similarity_score) VALUES ('cam_a', 0.3)",
            "INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, state, refusal_reason) VALUES ('cam_a', '/x.jpg', '\\x2f', 5, 'refused', 'empty')",
            "UPDATE media_files SET enqueued_at = now(), enqueue_count = enqueue_count + 1",
            "SELECT count(*) FROM processed_files",
            "SELECT count(*) FROM camera_zones",
            LOG,
        ],
        denied: &[
            "INSERT INTO detections (camera_id, file_path) VALUES ('cam_a', '/x.jpg')",
            "INSERT INTO events (batch_id, camera_id, started_at) VALUES ('fw', 'cam_a', now())",
            "INSERT INTO processed_files (message_id, outcome) VALUES ('fw', 'detected')",
            "INSERT INTO alert_rules (name) VALUES ('mine')",
            "INSERT INTO activity_baselines (camera_id, hour, day_of_week) VALUES ('cam_a', 1, 1)",
            "DELETE FROM cameras WHERE id = 'cam_a'",
            "SELECT count(*) FROM logs",
        ],
    },
    Grants {
        service: Service::DetectionWorker,
        allowed: &[
            "INSERT INTO detections (camera_id, file_path, object_type, confidence) VALUES ('cam_a', '/x.jpg', 'dog', 0.5)",
            "UPDATE detections SET thumbnail_path = '/t.jpg' WHERE id = 1",
            "INSERT INTO gpu_stats (gpu_name, gpu_utilization) VALUES ('H100', 50)",
            "INSERT INTO processed_files (message_id, outcome, detection_count) VALUES ('m-dw', 'detected', 0)",
            "UPDATE processed_files SET attempts = attempts + 1 WHERE message_id = 'm-dw'",
            "INSERT INTO pose_results (detection_id, pose_class) VALUES (1, 'standing')",
            "INSERT INTO reid_embeddings (detection_id, embedding) VALUES (1, '[0.5]')",
            "SELECT count(*) FROM cameras",
            LOG,
        ],
        denied: &[
            "INSERT INTO cameras (id, name, folder_path) VALUES ('porch', 'Porch', '/p')",
            "UPDATE cameras SET last_seen_at = now() WHERE id = 'cam_a'",
            "INSERT INTO events (batch_id, camera_id, started_at) VALUES ('dw', 'cam_a', now())",
            "INSERT INTO class_baselines (camera_id, detection_class, hour) VALUES ('cam_a', 'dog', 1)",
            "UPDATE alert_rules SET enabled = false",
            "INSERT INTO media_files (path, path_bytes, size_bytes, state, refusal_reason) VALUES ('/x', '\\x2f', 1, 'refused', 'empty')",
            "UPDATE media_files SET state = 'abandoned'",
        ],
    },
    Grants {
        service: Service::BatchAggregator,
        allowed: &[
            "INSERT INTO activity_baselines (camera_id, hour, day_of_week, avg_count) VALUES ('cam_a', 4, 5, 1.5)",
            "INSERT INTO class_baselines (camera_id, detection_class, hour) VALUES ('cam_a', 'person', 4)",
            "UPDATE class_baselines SET frequency = 2.0 WHERE camera_id = 'cam_a'",
            "SELECT count(*) FROM detections",
            "SELECT count(*) FROM processed_files, event_detections",
            LOG,
        ],
        denied: &[
            "INSERT INTO detections (camera_id, file_path) VALUES ('cam_a', '/x.jpg')",
            "INSERT INTO events (batch_id, camera_id, started_at) VALUES ('ba', 'cam_a', now())",
            "INSERT INTO processed_files (message_id, outcome) VALUES ('ba', 'detected')",
            "INSERT INTO event_detections (event_id, detection_id) VALUES (1, 1)",
            "UPDATE cameras SET status = 'offline' WHERE id = 'cam_a'",
            "INSERT INTO alerts (event_id, dedup_key) VALUES (1, 'k')",
        ],
    },
    Grants {
        service: Service::AnalysisWorker,
        allowed: &[
            "INSERT INTO events (batch_id, camera_id, started_at, risk_score, risk_level) VALUES ('aw', 'cam_a', now(), 40, 'medium')",
            "UPDATE events SET summary = 'updated' WHERE id = 1",
            "INSERT INTO event_detections (event_id, detection_id) VALUES (1, 1)",
            "INSERT INTO event_audits (event_id, prompt_length) VALUES (1, 120)",
            "INSERT INTO alerts (event_id, rule_id, dedup_key) VALUES (1, '00000000-0000-0000-0000-000000000001', 'cam_a')",
            "INSERT INTO entities (entity_type) VALUES ('person')",
            "UPDATE alerts SET delivery_state = 'delivered', delivery_attempts = 1, next_attempt_at = NULL, last_error = NULL",
            "SELECT count(*) FROM alert_rules, camera_zones, activity_baselines, prompt_configs",
            LOG,
        ],
        denied: &[
            "INSERT INTO alert_rules (name) VALUES ('mine')",
            "INSERT INTO detections (camera_id, file_path) VALUES ('cam_a', '/x.jpg')",
            "UPDATE cameras SET name = 'x' WHERE id = 'cam_a'",
            "INSERT INTO camera_zones (id, camera_id, name, coordinates) VALUES ('z', 'cam_a', 'z', '[]')",
            "UPDATE prompt_configs SET temperature = 1.0",
            "UPDATE media_files SET state = 'abandoned'",
            "INSERT INTO processed_files (message_id, outcome) VALUES ('aw', 'detected')",
            "SELECT count(*) FROM api_keys",
        ],
    },
    Grants {
        service: Service::Gateway,
        allowed: &[
            "INSERT INTO alert_rules (name, risk_threshold) VALUES ('Night person', 60)",
            "INSERT INTO camera_zones (id, camera_id, name, coordinates) VALUES ('z', 'cam_a', 'z', '[]')",
            "INSERT INTO api_keys (key_hash, name) VALUES (repeat('b', 64), 'ops')",
            "INSERT INTO audit_logs (action, resource_type, actor) VALUES ('rule_created', 'alert_rule', 'admin')",
            "INSERT INTO event_feedback (event_id, feedback_type) VALUES (1, 'false_positive')",
            "INSERT INTO prompt_configs (model, system_prompt) VALUES ('florence-2', 'be brief')",
            "UPDATE notification_preferences SET sound = 'chime'",
            "INSERT INTO jobs (id, job_type) VALUES ('job-9', 'export')",
            "UPDATE events SET reviewed = true, notes = 'fine' WHERE id = 1",
            "UPDATE events SET deleted_at = now() WHERE id = 1",
            "SELECT events, unreviewed FROM camera_event_counts",
            "UPDATE cameras SET name = 'Renamed', status = 'offline' WHERE id = 'cam_a'",
            "SELECT count(*) FROM detections, events, logs, gpu_stats",
            "SELECT count(*) FROM media_files, processed_files, file_ledger",
            LOG,
        ],
        denied: &[
            "INSERT INTO events (batch_id, camera_id, started_at) VALUES ('gw', 'cam_a', now())",
            "UPDATE events SET risk_score = 0 WHERE id = 1",
            "UPDATE camera_event_counts SET events = 0",
            "INSERT INTO detections (camera_id, file_path) VALUES ('cam_a', '/x.jpg')",
            "UPDATE cameras SET folder_path = '/elsewhere' WHERE id = 'cam_a'",
            "UPDATE audit_logs SET actor = 'someone else'",
            "DELETE FROM audit_logs",
            "UPDATE media_files SET state = 'refused'",
            "UPDATE alerts SET delivery_state = 'failed'",
            "INSERT INTO activity_baselines (camera_id, hour, day_of_week) VALUES ('cam_a', 1, 1)",
        ],
    },
];

#[tokio::test]
async fn each_service_writes_its_own_tables_and_is_refused_elsewhere() {
    let db = TestDatabase::migrated().await;
    insert_fixture(&db.conn).await;

    let mut failures = Vec::new();
    for grants in GRANTS {
        let conn = db.connect_as(grants.service).await;
        for sql in grants.allowed {
            if let Some(err) = try_exec(&conn, sql).await {
                failures.push(format!(
                    "{}: refused its own write `{sql}`: {err}",
                    grants.service
                ));
            }
        }
        for sql in grants.denied {
            match try_exec(&conn, sql).await {
                None => failures.push(format!("{}: allowed foreign write `{sql}`", grants.service)),
                Some(err) if err.contains("permission denied") => {}
                Some(err) => failures.push(format!(
                    "{}: `{sql}` failed without a permission error: {err}",
                    grants.service
                )),
            }
        }
        conn.close().await.ok();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn every_service_role_exists_and_can_log_in() {
    let db = TestDatabase::migrated().await;
    for service in Service::ALL {
        let conn = db.connect_as(service).await;
        let who = common::strings(&conn, "SELECT current_user::text").await;
        assert_eq!(who, [service.database_role()]);
        conn.close().await.ok();
    }
}
