-- One alert per event and rule: the alert engine already guarantees it (an advisory
-- lock around check-and-insert); the index makes the schema say so too.
CREATE UNIQUE INDEX uq_alerts_event_rule ON alerts (event_id, rule_id) WHERE rule_id IS NOT NULL;
