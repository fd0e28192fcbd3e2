-- One login role per service, with grants that follow the ownership table of
-- DESIGN.md: a service writes only its own slice and reads what it needs; every
-- service may append to logs. Roles are cluster-wide, so they are created only when
-- missing (another database of the cluster may have created them already) and are
-- never dropped by a migration. Passwords are set by deployment, not here.

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['hsi_file_watcher', 'hsi_detection_worker', 'hsi_batch_aggregator',
                                     'hsi_analysis_worker', 'hsi_gateway'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created at the same moment by a migration of another database
            END;
        END IF;
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role_name);
        EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', role_name);
        EXECUTE format('GRANT INSERT ON logs TO %I', role_name);
        EXECUTE format('GRANT USAGE ON SEQUENCE logs_id_seq TO %I', role_name);
    END LOOP;
END
$$;

-- file-watcher: registers cameras and records scene changes.
GRANT SELECT, INSERT, UPDATE ON cameras TO hsi_file_watcher;
GRANT SELECT, INSERT, UPDATE ON scene_changes TO hsi_file_watcher;
GRANT USAGE ON SEQUENCE scene_changes_id_seq TO hsi_file_watcher;
GRANT SELECT ON camera_zones TO hsi_file_watcher;

-- detection-worker: detections, enrichment results and GPU statistics.
GRANT SELECT ON cameras TO hsi_detection_worker;
GRANT SELECT, INSERT, UPDATE ON detections TO hsi_detection_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON pose_results, threat_detections, demographics_results,
    reid_embeddings, action_results TO hsi_detection_worker;
GRANT SELECT, INSERT ON gpu_stats TO hsi_detection_worker;
GRANT USAGE ON SEQUENCE detections_id_seq, pose_results_id_seq, threat_detections_id_seq,
    demographics_results_id_seq, reid_embeddings_id_seq, action_results_id_seq, gpu_stats_id_seq
    TO hsi_detection_worker;

-- batch-aggregator: the activity baselines, learned from detections.
GRANT SELECT ON cameras, detections TO hsi_batch_aggregator;
GRANT SELECT, INSERT, UPDATE ON activity_baselines, class_baselines TO hsi_batch_aggregator;
GRANT USAGE ON SEQUENCE activity_baselines_id_seq, class_baselines_id_seq TO hsi_batch_aggregator;

-- analysis-worker: events and everything written about them.
GRANT SELECT, INSERT, UPDATE ON events TO hsi_analysis_worker;
GRANT SELECT, INSERT, DELETE ON event_detections TO hsi_analysis_worker;
GRANT SELECT, INSERT, UPDATE ON event_audits TO hsi_analysis_worker;
GRANT SELECT, INSERT, UPDATE ON alerts TO hsi_analysis_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON entities TO hsi_analysis_worker;
GRANT USAGE ON SEQUENCE events_id_seq, event_audits_id_seq TO hsi_analysis_worker;
GRANT SELECT ON cameras, detections, camera_zones, activity_baselines, class_baselines, alert_rules,
    prompt_configs, prompt_versions, notification_preferences, camera_notification_settings,
    quiet_hours_periods, user_calibration, event_feedback, scene_changes, pose_results,
    threat_detections, demographics_results, reid_embeddings, action_results TO hsi_analysis_worker;

-- api-gateway: reads everything; owns the configuration tables; may change only the
-- review fields of events, alerts and cameras.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO hsi_gateway;
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules, camera_zones, api_keys, event_feedback,
    user_calibration, notification_preferences, camera_notification_settings, quiet_hours_periods,
    prompt_configs, prompt_versions, jobs, job_attempts, job_logs, job_transitions, export_jobs,
    backup_jobs, restore_jobs TO hsi_gateway;
-- The audit trail is append-only, even for the service that writes it.
GRANT INSERT ON audit_logs TO hsi_gateway;
GRANT USAGE ON SEQUENCE api_keys_id_seq, event_feedback_id_seq, user_calibration_id_seq,
    prompt_configs_id_seq, prompt_versions_id_seq, audit_logs_id_seq TO hsi_gateway;
GRANT UPDATE (reviewed, notes, deleted_at) ON events TO hsi_gateway;
GRANT UPDATE (status, version_id) ON alerts TO hsi_gateway;
GRANT UPDATE (name, status, deleted_at) ON cameras TO hsi_gateway;
