-- The delivery history of alerts: one row per delivery attempt per channel, written by
-- the alert engine (in the analysis worker) next to the outbox columns of the alert,
-- which keep only the latest state. Operators read it through the gateway to see what
-- was sent where, when, and what the receiver answered.

CREATE TABLE alert_deliveries (
    id            bigserial     PRIMARY KEY,
    alert_id      uuid          NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    -- The alert's delivery attempt (1-based, as counted by alerts.delivery_attempts).
    attempt       integer       NOT NULL,
    -- The channel's position in alerts.channels, its type and where it points (the URL
    -- without credentials, query or fragment, which may hold secrets).
    channel_index integer       NOT NULL,
    channel_type  varchar(32)   NOT NULL,
    target        varchar(2048) NOT NULL DEFAULT '',
    started_at    timestamptz   NOT NULL,
    finished_at   timestamptz   NOT NULL,
    -- delivered; retrying (the alert is due again); failed (given up).
    outcome       varchar(16)   NOT NULL,
    -- HTTP requests made in this attempt (a webhook retries within an attempt).
    requests      integer       NOT NULL DEFAULT 0,
    http_status   integer,
    error         text,
    CONSTRAINT ck_alert_deliveries_outcome CHECK (outcome IN ('delivered', 'retrying', 'failed')),
    CONSTRAINT ck_alert_deliveries_attempt CHECK (attempt >= 1),
    CONSTRAINT ck_alert_deliveries_channel_index CHECK (channel_index >= 0),
    CONSTRAINT ck_alert_deliveries_requests CHECK (requests >= 0),
    -- An attempt is recorded once: the outbox lease fences attempt numbers.
    CONSTRAINT uq_alert_deliveries_attempt_channel UNIQUE (alert_id, attempt, channel_index)
);
-- An alert's history, newest first.
CREATE INDEX idx_alert_deliveries_alert_started ON alert_deliveries (alert_id, started_at DESC, id DESC);

GRANT SELECT, INSERT ON alert_deliveries TO hsi_analysis_worker;
GRANT USAGE ON SEQUENCE alert_deliveries_id_seq TO hsi_analysis_worker;
GRANT SELECT ON alert_deliveries TO hsi_gateway;
