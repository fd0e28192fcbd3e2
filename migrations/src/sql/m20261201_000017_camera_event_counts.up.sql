-- Per-camera event counters for the camera list. Counting a camera's events on every
-- list took seconds once a camera had hundreds of thousands of them; these counters are
-- kept by statement-level triggers on events, so a bulk write updates each camera's row
-- once and a camera list reads one row per camera.
--
-- Counted are events not soft-deleted (events.deleted_at IS NULL) and, of those, the
-- ones not yet reviewed. The counters are never allowed to refuse an event write: there
-- is no CHECK here, because an event (and its alerts, written in the same transaction)
-- matters more than a count.

CREATE TABLE camera_event_counts (
    camera_id  varchar(100) PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
    events     bigint       NOT NULL DEFAULT 0,
    unreviewed bigint       NOT NULL DEFAULT 0
);

-- No event write may slip between the backfill and the triggers.
LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO camera_event_counts (camera_id, events, unreviewed)
SELECT camera_id, count(*), count(*) FILTER (WHERE NOT reviewed)
FROM events WHERE deleted_at IS NULL GROUP BY camera_id;

-- Adds the per-camera deltas of a statement's rows: +1 for each row that counts after
-- it, -1 for each that counted before. Rows are upserted in camera order so that two
-- statements touching the same cameras lock their counters in the same order.
-- SECURITY DEFINER: whichever service role writes events (the analysis worker, the
-- gateway's review and delete) need not be granted the counters table.
CREATE OR REPLACE FUNCTION camera_event_counts_apply(deltas jsonb) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO camera_event_counts AS c (camera_id, events, unreviewed)
    SELECT d.camera_id, d.events, d.unreviewed
    FROM jsonb_to_recordset(deltas) AS d (camera_id varchar, events bigint, unreviewed bigint)
    -- A camera deleted with its events (by cascade) has no counters left to change.
    WHERE (d.events <> 0 OR d.unreviewed <> 0)
        AND EXISTS (SELECT 1 FROM cameras WHERE cameras.id = d.camera_id)
    ORDER BY d.camera_id
    ON CONFLICT (camera_id) DO UPDATE
        SET events = c.events + excluded.events, unreviewed = c.unreviewed + excluded.unreviewed;
$$;

CREATE OR REPLACE FUNCTION camera_event_counts_on_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM camera_event_counts_apply(coalesce(jsonb_agg(d), '[]'))
    FROM (
        SELECT camera_id, count(*) AS events, count(*) FILTER (WHERE NOT reviewed) AS unreviewed
        FROM new_rows WHERE deleted_at IS NULL GROUP BY camera_id
    ) d;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION camera_event_counts_on_delete() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM camera_event_counts_apply(coalesce(jsonb_agg(d), '[]'))
    FROM (
        SELECT camera_id, -count(*) AS events, -count(*) FILTER (WHERE NOT reviewed) AS unreviewed
        FROM old_rows WHERE deleted_at IS NULL GROUP BY camera_id
    ) d;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION camera_event_counts_on_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM camera_event_counts_apply(coalesce(jsonb_agg(d), '[]'))
    FROM (
        SELECT camera_id, sum(events) AS events, sum(unreviewed) AS unreviewed
        FROM (
            SELECT camera_id, 1 AS events, CASE WHEN reviewed THEN 0 ELSE 1 END AS unreviewed
            FROM new_rows WHERE deleted_at IS NULL
            UNION ALL
            SELECT camera_id, -1, CASE WHEN reviewed THEN 0 ELSE -1 END
            FROM old_rows WHERE deleted_at IS NULL
        ) rows
        GROUP BY camera_id
    ) d;
    RETURN NULL;
END $$;

-- PostgreSQL allows transition tables only on single-event triggers without a column
-- list, hence three triggers that fire on every statement.
CREATE TRIGGER trg_camera_event_counts_insert AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION camera_event_counts_on_insert();
CREATE TRIGGER trg_camera_event_counts_update AFTER UPDATE ON events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION camera_event_counts_on_update();
CREATE TRIGGER trg_camera_event_counts_delete AFTER DELETE ON events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION camera_event_counts_on_delete();

GRANT SELECT ON camera_event_counts TO hsi_gateway;

-- The event list's most used filter pair (a camera and a risk level), newest first.
CREATE INDEX idx_events_camera_level_started_id ON events (camera_id, risk_level, started_at DESC, id DESC)
    WHERE deleted_at IS NULL;
