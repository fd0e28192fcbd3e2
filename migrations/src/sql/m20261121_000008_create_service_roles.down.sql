-- Takes back every grant in this database. The roles themselves stay: they are shared
-- by every database of the cluster and may hold passwords set by deployment.
DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['hsi_file_watcher', 'hsi_detection_worker', 'hsi_batch_aggregator',
                                     'hsi_analysis_worker', 'hsi_gateway'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', role_name);
            EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', role_name);
            EXECUTE format('REVOKE USAGE ON SCHEMA public FROM %I', role_name);
            EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), role_name);
        END IF;
    END LOOP;
END
$$;
