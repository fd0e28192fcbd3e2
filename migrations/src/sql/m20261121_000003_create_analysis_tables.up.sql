-- What the analysis worker writes about events (audits, alerts, entities) and what
-- users say back (feedback, alert rules).

CREATE TABLE event_audits (
    id                        serial           PRIMARY KEY,
    event_id                  integer          NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    audited_at                timestamptz      NOT NULL DEFAULT now(),
    has_yolo26                boolean          NOT NULL DEFAULT false,
    has_florence              boolean          NOT NULL DEFAULT false,
    has_clip                  boolean          NOT NULL DEFAULT false,
    has_violence              boolean          NOT NULL DEFAULT false,
    has_clothing              boolean          NOT NULL DEFAULT false,
    has_vehicle               boolean          NOT NULL DEFAULT false,
    has_pet                   boolean          NOT NULL DEFAULT false,
    has_weather               boolean          NOT NULL DEFAULT false,
    has_image_quality         boolean          NOT NULL DEFAULT false,
    has_zones                 boolean          NOT NULL DEFAULT false,
    has_baseline              boolean          NOT NULL DEFAULT false,
    has_cross_camera          boolean          NOT NULL DEFAULT false,
    prompt_length             integer          NOT NULL DEFAULT 0,
    prompt_token_estimate     integer          NOT NULL DEFAULT 0,
    enrichment_utilization    double precision NOT NULL DEFAULT 0.0,
    context_usage_score       double precision,
    reasoning_coherence_score double precision,
    risk_justification_score  double precision,
    consistency_score         double precision,
    overall_quality_score     double precision,
    consistency_risk_score    integer,
    consistency_diff          integer,
    self_eval_critique        text,
    self_eval_prompt          text,
    self_eval_response        text,
    missing_context           text,
    confusing_sections        text,
    unused_data               text,
    format_suggestions        text,
    model_gaps                text,
    CONSTRAINT uq_event_audits_event_id UNIQUE (event_id),
    CONSTRAINT ck_event_audits_enrichment_utilization CHECK (enrichment_utilization >= 0.0 AND enrichment_utilization <= 1.0),
    CONSTRAINT ck_event_audits_context_usage_score CHECK (context_usage_score IS NULL OR (context_usage_score >= 1.0 AND context_usage_score <= 5.0)),
    CONSTRAINT ck_event_audits_reasoning_coherence_score CHECK (reasoning_coherence_score IS NULL OR (reasoning_coherence_score >= 1.0 AND reasoning_coherence_score <= 5.0)),
    CONSTRAINT ck_event_audits_risk_justification_score CHECK (risk_justification_score IS NULL OR (risk_justification_score >= 1.0 AND risk_justification_score <= 5.0)),
    CONSTRAINT ck_event_audits_consistency_score CHECK (consistency_score IS NULL OR (consistency_score >= 1.0 AND consistency_score <= 5.0)),
    CONSTRAINT ck_event_audits_overall_quality_score CHECK (overall_quality_score IS NULL OR (overall_quality_score >= 1.0 AND overall_quality_score <= 5.0)),
    CONSTRAINT ck_event_audits_prompt_metrics CHECK (prompt_length >= 0 AND prompt_token_estimate >= 0)
);
CREATE INDEX idx_event_audits_event_id ON event_audits (event_id);
CREATE INDEX idx_event_audits_audited_at ON event_audits (audited_at);
CREATE INDEX idx_event_audits_overall_score ON event_audits (overall_quality_score);

CREATE TABLE event_feedback (
    id                serial       PRIMARY KEY,
    event_id          integer      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    feedback_type     varchar(32)  NOT NULL,
    notes             text,
    expected_severity varchar(10),
    created_at        timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT uq_event_feedback_event_id UNIQUE (event_id),
    CONSTRAINT ck_event_feedback_type CHECK (feedback_type IN ('accurate', 'correct', 'false_positive', 'missed_threat', 'severity_wrong')),
    CONSTRAINT ck_event_feedback_expected_severity CHECK (expected_severity IS NULL OR expected_severity IN ('low', 'medium', 'high', 'critical'))
);
CREATE INDEX idx_event_feedback_event_id ON event_feedback (event_id);
CREATE INDEX idx_event_feedback_type ON event_feedback (feedback_type);
CREATE INDEX idx_event_feedback_created_at ON event_feedback (created_at);

CREATE TABLE alert_rules (
    id                 uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    name               varchar(255)     NOT NULL,
    description        text,
    enabled            boolean          NOT NULL DEFAULT true,
    severity           alert_severity   NOT NULL DEFAULT 'medium',
    risk_threshold     integer,
    object_types       json,
    camera_ids         json,
    zone_ids           json,
    min_confidence     double precision,
    schedule           json,
    conditions         json,
    dedup_key_template varchar(255)     NOT NULL DEFAULT '{camera_id}:{rule_id}',
    cooldown_seconds   integer          NOT NULL DEFAULT 300,
    channels           json,
    created_at         timestamptz      NOT NULL DEFAULT now(),
    updated_at         timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT ck_alert_rules_risk_threshold CHECK (risk_threshold IS NULL OR (risk_threshold >= 0 AND risk_threshold <= 100)),
    CONSTRAINT ck_alert_rules_min_confidence CHECK (min_confidence IS NULL OR (min_confidence >= 0.0 AND min_confidence <= 1.0)),
    CONSTRAINT ck_alert_rules_cooldown_seconds CHECK (cooldown_seconds >= 0)
);
CREATE INDEX idx_alert_rules_name ON alert_rules (name);
CREATE INDEX idx_alert_rules_enabled ON alert_rules (enabled);
CREATE INDEX idx_alert_rules_severity ON alert_rules (severity);
CREATE TRIGGER trg_alert_rules_updated_at BEFORE UPDATE ON alert_rules
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE alerts (
    id           uuid           PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id     integer        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    rule_id      uuid           REFERENCES alert_rules (id) ON DELETE SET NULL,
    severity     alert_severity NOT NULL DEFAULT 'medium',
    status       alert_status   NOT NULL DEFAULT 'pending',
    created_at   timestamptz    NOT NULL DEFAULT now(),
    updated_at   timestamptz    NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    channels     json,
    dedup_key    varchar(255)   NOT NULL,
    metadata     json,
    version_id   integer        NOT NULL DEFAULT 1,
    CONSTRAINT ck_alerts_version_id CHECK (version_id >= 1)
);
CREATE INDEX idx_alerts_event_id ON alerts (event_id);
CREATE INDEX idx_alerts_rule_id ON alerts (rule_id);
CREATE INDEX idx_alerts_severity ON alerts (severity);
CREATE INDEX idx_alerts_status ON alerts (status);
CREATE INDEX idx_alerts_created_at ON alerts (created_at);
CREATE INDEX idx_alerts_dedup_key ON alerts (dedup_key);
CREATE INDEX idx_alerts_dedup_key_created_at ON alerts (dedup_key, created_at);
CREATE INDEX idx_alerts_delivered_at ON alerts (delivered_at);
CREATE INDEX idx_alerts_event_rule_delivered ON alerts (event_id, rule_id, delivered_at);
CREATE TRIGGER trg_alerts_updated_at BEFORE UPDATE ON alerts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE entities (
    id                   uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type          varchar(20)  NOT NULL,
    trust_status         varchar(20)  NOT NULL DEFAULT 'unknown',
    embedding_vector     jsonb,
    first_seen_at        timestamptz  NOT NULL DEFAULT now(),
    last_seen_at         timestamptz  NOT NULL DEFAULT now(),
    detection_count      integer      NOT NULL DEFAULT 0,
    entity_metadata      jsonb,
    -- The seed system left this without a foreign key because its detections table
    -- was partitioned; ours is not, so the reference is enforced.
    primary_detection_id integer      REFERENCES detections (id) ON DELETE SET NULL,
    CONSTRAINT ck_entities_entity_type CHECK (entity_type IN ('person', 'vehicle', 'animal', 'package', 'other')),
    CONSTRAINT ck_entities_trust_status CHECK (trust_status IN ('trusted', 'untrusted', 'unknown')),
    CONSTRAINT ck_entities_detection_count CHECK (detection_count >= 0),
    CONSTRAINT ck_entities_seen_order CHECK (last_seen_at >= first_seen_at)
);
CREATE INDEX idx_entities_entity_type ON entities (entity_type);
CREATE INDEX idx_entities_trust_status ON entities (trust_status);
CREATE INDEX idx_entities_first_seen_at ON entities (first_seen_at);
CREATE INDEX idx_entities_last_seen_at ON entities (last_seen_at);
CREATE INDEX idx_entities_type_last_seen ON entities (entity_type, last_seen_at);
CREATE INDEX ix_entities_entity_metadata_gin ON entities USING gin (entity_metadata);
