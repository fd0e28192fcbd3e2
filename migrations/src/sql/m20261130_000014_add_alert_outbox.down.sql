DROP INDEX IF EXISTS uq_event_detections_detection_id;
CREATE INDEX IF NOT EXISTS idx_event_detections_detection_id ON event_detections (detection_id);
DROP INDEX IF EXISTS idx_alerts_delivery_due;
ALTER TABLE alerts
    DROP CONSTRAINT IF EXISTS ck_alerts_delivery_due,
    DROP CONSTRAINT IF EXISTS ck_alerts_delivery_attempts,
    DROP CONSTRAINT IF EXISTS ck_alerts_delivery_state,
    DROP COLUMN IF EXISTS last_error,
    DROP COLUMN IF EXISTS next_attempt_at,
    DROP COLUMN IF EXISTS delivery_attempts,
    DROP COLUMN IF EXISTS delivery_state;
