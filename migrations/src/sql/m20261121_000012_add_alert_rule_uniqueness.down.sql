DROP INDEX IF EXISTS uq_alerts_event_rule;
