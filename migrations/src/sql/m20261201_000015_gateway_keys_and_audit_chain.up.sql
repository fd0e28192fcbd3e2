-- The gateway's API keys get scopes, a public key id and revocation; the audit trail
-- becomes tamper-evident (each row carries a hash chained to the one before it); the
-- event list's filters and keyset pages get the indexes they read.

ALTER TABLE api_keys
    -- The public part of a key ("hsi_<key_id>_<secret>"): the row is found by it, and
    -- only then is the secret's hash compared, in constant time.
    ADD COLUMN key_id       varchar(16),
    ADD COLUMN scope        varchar(16)  NOT NULL DEFAULT 'read',
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN revoked_at   timestamptz,
    ADD COLUMN created_by   varchar(100),
    ADD CONSTRAINT ck_api_keys_scope CHECK (scope IN ('read', 'operator', 'admin')),
    ADD CONSTRAINT ck_api_keys_key_id CHECK (key_id IS NULL OR key_id ~ '^[0-9a-f]{16}$'),
    ADD CONSTRAINT ck_api_keys_name_not_blank CHECK (btrim(name) <> '');
CREATE UNIQUE INDEX uq_api_keys_key_id ON api_keys (key_id);

-- The chain: seq orders it (ids are taken before the chain lock, so they can commit out
-- of order), prev_hash is the previous row's row_hash, row_hash covers this row's
-- content and prev_hash.
ALTER TABLE audit_logs
    ADD COLUMN seq       bigint,
    ADD COLUMN prev_hash char(64),
    ADD COLUMN row_hash  char(64);
CREATE UNIQUE INDEX uq_audit_logs_seq ON audit_logs (seq);

-- The canonical content of a row; the trigger and the verifier must agree on it, so
-- there is exactly one definition. jsonb's text form is canonical (sorted keys).
CREATE OR REPLACE FUNCTION audit_log_row_hash(
    p_prev text, p_seq bigint, p_timestamp timestamptz, p_action text, p_resource_type text,
    p_resource_id text, p_actor text, p_ip_address text, p_user_agent text, p_details jsonb,
    p_status text) RETURNS char(64)
LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(
        jsonb_build_array(p_prev, p_seq, (extract(epoch FROM p_timestamp) * 1000000)::bigint,
            p_action, p_resource_type, p_resource_id, p_actor, p_ip_address, p_user_agent,
            p_details, p_status)::text, 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION audit_logs_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    last_seq  bigint;
    last_hash text;
BEGIN
    -- One writer at a time extends the chain; the lock lasts until commit.
    PERFORM pg_advisory_xact_lock(7232940110731612533);
    SELECT a.seq, a.row_hash INTO last_seq, last_hash
        FROM audit_logs a WHERE a.seq IS NOT NULL ORDER BY a.seq DESC LIMIT 1;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW."timestamp" := date_trunc('microseconds', coalesce(NEW."timestamp", now()));
    NEW.row_hash := audit_log_row_hash(NEW.prev_hash, NEW.seq, NEW."timestamp", NEW.action,
        NEW.resource_type, NEW.resource_id, NEW.actor, NEW.ip_address, NEW.user_agent,
        NEW.details, NEW.status);
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_audit_logs_chain BEFORE INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_chain();

-- Event lists are newest first, paged by (started_at, id); the filters most used
-- (camera, level) get their own composite so a page reads only its rows.
CREATE INDEX idx_events_started_id ON events (started_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX idx_events_camera_started_id ON events (camera_id, started_at DESC, id DESC)
    WHERE deleted_at IS NULL;

-- The gateway records who used a key and when, and revokes keys.
GRANT UPDATE (last_used_at, revoked_at, is_active) ON api_keys TO hsi_gateway;
GRANT EXECUTE ON FUNCTION audit_log_row_hash(text, bigint, timestamptz, text, text, text, text,
    text, text, jsonb, text) TO hsi_gateway;
