-- Judgement you can trust (issue 12):
-- * event_audits records the evidence score the worker computed, what the LLM proposed,
--   the bounded adjustment it got and why, and how the reply format was enforced;
-- * alerts carry a revision: a fast-path alert is revised (upgraded, downgraded or
--   withdrawn) when the judgement arrives, under the same id;
-- * alert_rules may fire at once on a fast-path detection, before any LLM.
ALTER TABLE event_audits
    ADD COLUMN evidence_score     integer,
    ADD COLUMN evidence           jsonb,
    ADD COLUMN llm_proposed_score integer,
    ADD COLUMN llm_adjustment     integer,
    ADD COLUMN adjustment_reason  text,
    ADD COLUMN structured_output  varchar(64),
    ADD COLUMN stage              varchar(16) NOT NULL DEFAULT 'final',
    ADD CONSTRAINT ck_event_audits_evidence_score CHECK (evidence_score BETWEEN 0 AND 100),
    ADD CONSTRAINT ck_event_audits_stage CHECK (stage IN ('provisional', 'final'));

ALTER TABLE alerts
    ADD COLUMN revision   integer NOT NULL DEFAULT 1,
    ADD COLUMN revised_at timestamptz,
    -- Set when the judgement withdrew a fast-path alert: it no longer holds a cooldown.
    ADD COLUMN withdrawn_at timestamptz,
    ADD CONSTRAINT ck_alerts_revision CHECK (revision >= 1);

ALTER TABLE alert_rules
    ADD COLUMN fire_on_fast_path boolean NOT NULL DEFAULT false;
