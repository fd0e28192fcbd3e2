-- A login role for Grafana's PostgreSQL datasource (deploy/grafana/provisioning): the
-- judgement and logs dashboards read events and log lines, and nothing else. It may not
-- read API keys, the audit trail, alert destinations or prompts, and may write nothing.
-- Created only when missing and never dropped, as the service roles are (migration 8);
-- its password is set by deployment.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hsi_grafana') THEN
        BEGIN
            CREATE ROLE hsi_grafana LOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created at the same moment by a migration of another database
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO hsi_grafana', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO hsi_grafana;
GRANT SELECT ON events, logs, cameras TO hsi_grafana;
