-- Delivery state lives on the alert row (an outbox): an alert is committed with what
-- is still to be delivered, and a sweeper delivers whatever is due, so a worker that
-- dies between the commit and the webhook delays the delivery but never loses it.

ALTER TABLE alerts
    ADD COLUMN delivery_state    varchar(16) NOT NULL DEFAULT 'none',
    ADD COLUMN delivery_attempts integer     NOT NULL DEFAULT 0,
    -- When the next attempt is due; also the lease of a delivery in progress.
    ADD COLUMN next_attempt_at   timestamptz,
    ADD COLUMN last_error        text;

-- Alerts from before the outbox: what was delivered stays delivered; what was not is
-- marked failed rather than sent now, hours or days late.
UPDATE alerts SET delivery_state = CASE
        WHEN delivered_at IS NOT NULL THEN 'delivered'
        WHEN channels IS NULL OR channels::jsonb = '[]'::jsonb THEN 'none'
        ELSE 'failed'
    END,
    last_error = CASE
        WHEN delivered_at IS NULL AND channels IS NOT NULL AND channels::jsonb <> '[]'::jsonb
        THEN 'not delivered before the delivery outbox existed'
    END;

ALTER TABLE alerts
    ADD CONSTRAINT ck_alerts_delivery_state
        CHECK (delivery_state IN ('none', 'pending', 'retrying', 'delivered', 'failed')),
    ADD CONSTRAINT ck_alerts_delivery_attempts CHECK (delivery_attempts >= 0),
    ADD CONSTRAINT ck_alerts_delivery_due
        CHECK ((delivery_state IN ('pending', 'retrying')) = (next_attempt_at IS NOT NULL));

-- The sweeper's query: what is due, oldest first.
CREATE INDEX idx_alerts_delivery_due ON alerts (next_attempt_at)
    WHERE delivery_state IN ('pending', 'retrying');

-- A detection belongs to at most one event: a batch replayed after a Redis loss, or a
-- detection re-batched by the recovery sweep, can never be judged twice. Links that
-- broke this before (the replay bug) keep the earliest event.
DELETE FROM event_detections later
    USING event_detections earlier
    WHERE later.detection_id = earlier.detection_id AND later.event_id > earlier.event_id;
DROP INDEX idx_event_detections_detection_id;
CREATE UNIQUE INDEX uq_event_detections_detection_id ON event_detections (detection_id);
