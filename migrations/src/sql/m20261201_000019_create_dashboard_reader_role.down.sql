-- The role is cluster-wide and may serve other databases: only its rights here go.
REVOKE SELECT ON events, logs, cameras FROM hsi_grafana;
REVOKE USAGE ON SCHEMA public FROM hsi_grafana;
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM hsi_grafana', current_database());
END
$$;
