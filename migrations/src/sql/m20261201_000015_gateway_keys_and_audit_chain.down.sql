DROP INDEX IF EXISTS idx_events_camera_started_id;
DROP INDEX IF EXISTS idx_events_started_id;
DROP TRIGGER IF EXISTS trg_audit_logs_chain ON audit_logs;
DROP FUNCTION IF EXISTS audit_logs_chain();
DROP FUNCTION IF EXISTS audit_log_row_hash(text, bigint, timestamptz, text, text, text, text, text, text, jsonb, text);
DROP INDEX IF EXISTS uq_audit_logs_seq;
ALTER TABLE audit_logs DROP COLUMN IF EXISTS row_hash, DROP COLUMN IF EXISTS prev_hash, DROP COLUMN IF EXISTS seq;
DROP INDEX IF EXISTS uq_api_keys_key_id;
ALTER TABLE api_keys
    DROP CONSTRAINT IF EXISTS ck_api_keys_name_not_blank,
    DROP CONSTRAINT IF EXISTS ck_api_keys_key_id,
    DROP CONSTRAINT IF EXISTS ck_api_keys_scope,
    DROP COLUMN IF EXISTS created_by,
    DROP COLUMN IF EXISTS revoked_at,
    DROP COLUMN IF EXISTS last_used_at,
    DROP COLUMN IF EXISTS scope,
    DROP COLUMN IF EXISTS key_id;
