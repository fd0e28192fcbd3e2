ALTER TABLE alert_rules DROP COLUMN IF EXISTS fire_on_fast_path;
ALTER TABLE alerts
    DROP CONSTRAINT IF EXISTS ck_alerts_revision,
    DROP COLUMN IF EXISTS withdrawn_at,
    DROP COLUMN IF EXISTS revised_at,
    DROP COLUMN IF EXISTS revision;
ALTER TABLE event_audits
    DROP CONSTRAINT IF EXISTS ck_event_audits_stage,
    DROP CONSTRAINT IF EXISTS ck_event_audits_evidence_score,
    DROP COLUMN IF EXISTS stage,
    DROP COLUMN IF EXISTS structured_output,
    DROP COLUMN IF EXISTS adjustment_reason,
    DROP COLUMN IF EXISTS llm_adjustment,
    DROP COLUMN IF EXISTS llm_proposed_score,
    DROP COLUMN IF EXISTS evidence,
    DROP COLUMN IF EXISTS evidence_score;
