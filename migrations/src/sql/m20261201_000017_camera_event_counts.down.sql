DROP INDEX IF EXISTS idx_events_camera_level_started_id;
DROP TRIGGER IF EXISTS trg_camera_event_counts_delete ON events;
DROP TRIGGER IF EXISTS trg_camera_event_counts_update ON events;
DROP TRIGGER IF EXISTS trg_camera_event_counts_insert ON events;
DROP FUNCTION IF EXISTS camera_event_counts_on_update();
DROP FUNCTION IF EXISTS camera_event_counts_on_delete();
DROP FUNCTION IF EXISTS camera_event_counts_on_insert();
DROP FUNCTION IF EXISTS camera_event_counts_apply(jsonb);
DROP TABLE IF EXISTS camera_event_counts;
