//! Every entity reads back a real row of its table: column names, types, enums,
//! arrays and JSON all decode against the migrated schema.

use hsi_db::entities::prelude::*;
use hsi_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, EntityTrait};

/// One row in every table, written in plain SQL so the entities are only read.
const ONE_ROW_EVERYWHERE: &str = r#"
INSERT INTO cameras (id, name, folder_path, last_seen_at) VALUES ('front_door', 'Front Door', '/cams/Front Door', now());
INSERT INTO detections (camera_id, file_path, file_type, object_type, confidence, bbox_x, bbox_y, bbox_width, bbox_height,
                        media_type, duration, video_codec, video_width, video_height, enrichment_data, source_message_id)
    VALUES ('front_door', '/cams/Front Door/a.mp4', 'mp4', 'person', 0.91, 1, 2, 30, 40, 'video', 4.5, 'h264', 640, 480,
            '{"plate": null}', 'msg-1');
INSERT INTO events (batch_id, camera_id, started_at, ended_at, risk_score, risk_level, summary, reasoning, object_types, is_fast_path)
    VALUES ('batch-1', 'front_door', now(), now(), 72, 'high', 'Person at the door', 'Night time', 'person', true);
INSERT INTO event_detections (event_id, detection_id) VALUES (1, 1);
INSERT INTO event_audits (event_id, has_zones, prompt_length, prompt_token_estimate, enrichment_utilization, overall_quality_score)
    VALUES (1, true, 1200, 300, 0.5, 4.0);
INSERT INTO event_feedback (event_id, feedback_type, expected_severity) VALUES (1, 'severity_wrong', 'medium');
INSERT INTO alert_rules (name, severity, risk_threshold, object_types, camera_ids, schedule, channels)
    VALUES ('Night person', 'high', 60, '["person"]', '["front_door"]',
            '{"days": ["monday"], "start_time": "22:00", "end_time": "06:00", "timezone": "Europe/London"}',
            '[{"type": "webhook", "url": "https://example.com/hook"}]');
INSERT INTO alerts (event_id, rule_id, severity, status, dedup_key, channels, metadata)
    SELECT 1, id, 'high', 'delivered', 'front_door:rule', '["webhook"]', '{"attempts": 1}' FROM alert_rules;
INSERT INTO alert_deliveries (alert_id, attempt, channel_index, channel_type, target, started_at, finished_at, outcome, requests, http_status)
    SELECT id, 1, 0, 'webhook', 'https://example.com/hook', now(), now(), 'delivered', 1, 204 FROM alerts;
INSERT INTO entities (entity_type, trust_status, embedding_vector, detection_count, entity_metadata, primary_detection_id)
    VALUES ('person', 'trusted', '[0.1, 0.2]', 3, '{"clothing": "red"}', 1);
INSERT INTO camera_zones (id, camera_id, name, zone_type, coordinates, shape)
    VALUES ('porch', 'front_door', 'Porch', 'entry_point', '[[0.1, 0.5], [0.9, 0.5], [0.9, 1.0]]', 'polygon');
INSERT INTO activity_baselines (camera_id, hour, day_of_week, avg_count, sample_count) VALUES ('front_door', 22, 5, 1.5, 12);
INSERT INTO class_baselines (camera_id, detection_class, hour, frequency, sample_count) VALUES ('front_door', 'person', 22, 0.7, 12);
INSERT INTO scene_changes (camera_id, change_type, similarity_score, file_path) VALUES ('front_door', 'view_blocked', 0.2, '/x.jpg');
INSERT INTO camera_notification_settings (camera_id, risk_threshold) VALUES ('front_door', 50);
INSERT INTO quiet_hours_periods (label, start_time, end_time, days) VALUES ('Lunch', '12:00', '13:00', '{monday,friday}');
INSERT INTO user_calibration (user_id) VALUES ('alice');
INSERT INTO prompt_configs (model, system_prompt) VALUES ('florence-2', 'Describe the scene.');
INSERT INTO prompt_versions (model, version, config_json, is_active) VALUES ('nemotron', 1, '{"system_prompt": "x"}', true);
INSERT INTO api_keys (key_hash, name) VALUES (repeat('c', 64), 'ops');
INSERT INTO gpu_stats (gpu_name, gpu_utilization, memory_used, memory_total, temperature, power_usage, inference_fps, pstate)
    VALUES ('NVIDIA H100', 45.5, 1000, 80000, 51.0, 220.0, 180.0, 0);
INSERT INTO audit_logs (action, resource_type, resource_id, actor, ip_address, details)
    VALUES ('rule_created', 'alert_rule', '1', 'admin', '192.0.2.1', '{"name": "Night person"}');
INSERT INTO logs (level, component, message, camera_id, duration_ms, extra) VALUES ('WARNING', 'detector', 'slow frame', 'front_door', 900, '{"frame": 3}');
INSERT INTO jobs (id, job_type, result) VALUES ('7f1d0b0e-0000-4000-8000-000000000001', 'export', '{"rows": 10}');
INSERT INTO job_attempts (job_id, worker_id) VALUES ('7f1d0b0e-0000-4000-8000-000000000001', 'worker-1');
INSERT INTO job_logs (job_id, message, context) VALUES ('7f1d0b0e-0000-4000-8000-000000000001', 'started', '{"step": 1}');
INSERT INTO job_transitions (job_id, from_status, to_status) VALUES ('7f1d0b0e-0000-4000-8000-000000000001', 'queued', 'running');
INSERT INTO export_jobs (export_type, export_format, filter_params) VALUES ('events', 'json', '{}');
INSERT INTO backup_jobs (manifest_json) VALUES ('{"tables": []}');
INSERT INTO restore_jobs (backup_id, items_restored) VALUES ('backup-1', '{"events": 3}');
INSERT INTO pose_results (detection_id, keypoints, pose_class, confidence) VALUES (1, '[[1, 2, 0.9]]', 'standing', 0.8);
INSERT INTO threat_detections (detection_id, threat_type, confidence, severity, bbox) VALUES (1, 'knife', 0.6, 'high', '[1, 2, 3, 4]');
INSERT INTO demographics_results (detection_id, age_range, age_confidence, gender, gender_confidence) VALUES (1, '21-30', 0.5, 'unknown', 0.4);
INSERT INTO reid_embeddings (detection_id, embedding, embedding_hash) VALUES (1, '[0.3, 0.4]', repeat('d', 64));
INSERT INTO action_results (detection_id, action, confidence, all_scores) VALUES (1, 'walking', 0.7, '{"walking": 0.7}');
INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, modified_at, sha256, media_kind, file_type, state, message_id, enqueued_at, stream_entry, enqueue_count)
    VALUES ('front_door', '/cams/Front Door/a.mp4', '\x2f63616d73', 2048, now(), repeat('e', 64), 'video', 'mp4', 'accepted', 'msg-1', now(), '1-0', 1);
INSERT INTO processed_files (message_id, media_file_id, outcome, detection_count, frame_count) VALUES ('msg-1', 1, 'detected', 1, 3);
"#;

async fn assert_one<E: EntityTrait>(db: &TestDatabase) {
    assert_rows::<E>(db, 1).await;
}

async fn assert_rows<E: EntityTrait>(db: &TestDatabase, expected: usize) {
    let rows = E::find()
        .all(&db.conn)
        .await
        .unwrap_or_else(|err| panic!("{} does not decode: {err}", E::default().table_name()));
    assert_eq!(rows.len(), expected, "{}", E::default().table_name());
}

#[tokio::test]
async fn every_entity_decodes_a_row_of_its_table() {
    let db = TestDatabase::migrated().await;
    db.conn
        .execute_unprepared(ONE_ROW_EVERYWHERE)
        .await
        .expect("insert one row everywhere");
    assert_one::<Cameras>(&db).await;
    assert_one::<Detections>(&db).await;
    assert_one::<Events>(&db).await;
    assert_one::<EventDetections>(&db).await;
    assert_one::<EventAudits>(&db).await;
    assert_one::<EventFeedback>(&db).await;
    assert_one::<AlertRules>(&db).await;
    assert_one::<Alerts>(&db).await;
    assert_one::<AlertDeliveries>(&db).await;
    assert_one::<Entities>(&db).await;
    assert_one::<CameraZones>(&db).await;
    assert_one::<ActivityBaselines>(&db).await;
    assert_one::<ClassBaselines>(&db).await;
    assert_one::<SceneChanges>(&db).await;
    assert_one::<NotificationPreferences>(&db).await;
    assert_one::<CameraNotificationSettings>(&db).await;
    assert_one::<QuietHoursPeriods>(&db).await;
    assert_one::<UserCalibration>(&db).await;
    // The migrations seed the default risk-analysis prompt and its first version.
    assert_rows::<PromptConfigs>(&db, 2).await;
    assert_rows::<PromptVersions>(&db, 2).await;
    assert_one::<ApiKeys>(&db).await;
    assert_one::<GpuStats>(&db).await;
    assert_one::<AuditLogs>(&db).await;
    assert_one::<Logs>(&db).await;
    assert_one::<Jobs>(&db).await;
    assert_one::<JobAttempts>(&db).await;
    assert_one::<JobLogs>(&db).await;
    assert_one::<JobTransitions>(&db).await;
    assert_one::<ExportJobs>(&db).await;
    assert_one::<BackupJobs>(&db).await;
    assert_one::<RestoreJobs>(&db).await;
    assert_one::<PoseResults>(&db).await;
    assert_one::<ThreatDetections>(&db).await;
    assert_one::<DemographicsResults>(&db).await;
    assert_one::<ReidEmbeddings>(&db).await;
    assert_one::<ActionResults>(&db).await;
    assert_one::<MediaFiles>(&db).await;
    assert_one::<ProcessedFiles>(&db).await;
}
