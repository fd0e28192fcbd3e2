-- Per-detection enrichment results (pose, weapons, demographics, re-id, actions).
-- Each belongs to one detection and goes with it.

CREATE TABLE pose_results (
    id            serial           PRIMARY KEY,
    detection_id  integer          NOT NULL REFERENCES detections (id) ON DELETE CASCADE,
    keypoints     jsonb,
    pose_class    varchar(32),
    confidence    double precision,
    is_suspicious boolean          NOT NULL DEFAULT false,
    created_at    timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT uq_pose_results_detection_id UNIQUE (detection_id),
    CONSTRAINT ck_pose_results_confidence CHECK (confidence IS NULL OR (confidence >= 0.0 AND confidence <= 1.0))
);

CREATE TABLE threat_detections (
    id           serial           PRIMARY KEY,
    detection_id integer          NOT NULL REFERENCES detections (id) ON DELETE CASCADE,
    threat_type  varchar(20)      NOT NULL,
    confidence   double precision NOT NULL,
    severity     varchar(10)      NOT NULL,
    bbox         jsonb,
    created_at   timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT ck_threat_detections_threat_type CHECK (threat_type IN ('gun', 'knife', 'grenade', 'explosive', 'weapon')),
    CONSTRAINT ck_threat_detections_severity CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    CONSTRAINT ck_threat_detections_confidence CHECK (confidence >= 0.0 AND confidence <= 1.0)
);
CREATE INDEX idx_threat_detections_detection_id ON threat_detections (detection_id);
CREATE INDEX idx_threat_detections_threat_type ON threat_detections (threat_type);

CREATE TABLE demographics_results (
    id                serial           PRIMARY KEY,
    detection_id      integer          NOT NULL REFERENCES detections (id) ON DELETE CASCADE,
    age_range         varchar(10),
    age_confidence    double precision,
    gender            varchar(10),
    gender_confidence double precision,
    created_at        timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT uq_demographics_results_detection_id UNIQUE (detection_id),
    CONSTRAINT ck_demographics_results_gender CHECK (gender IS NULL OR gender IN ('male', 'female', 'unknown')),
    CONSTRAINT ck_demographics_results_confidences CHECK (
        (age_confidence IS NULL OR (age_confidence >= 0.0 AND age_confidence <= 1.0))
        AND (gender_confidence IS NULL OR (gender_confidence >= 0.0 AND gender_confidence <= 1.0)))
);

CREATE TABLE reid_embeddings (
    id             serial      PRIMARY KEY,
    detection_id   integer     NOT NULL REFERENCES detections (id) ON DELETE CASCADE,
    embedding      jsonb       NOT NULL,
    embedding_hash varchar(64),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_reid_embeddings_detection_id UNIQUE (detection_id),
    CONSTRAINT ck_reid_embeddings_embedding CHECK (jsonb_typeof(embedding) = 'array')
);
CREATE INDEX idx_reid_embeddings_embedding_hash ON reid_embeddings (embedding_hash);

CREATE TABLE action_results (
    id            serial           PRIMARY KEY,
    detection_id  integer          NOT NULL REFERENCES detections (id) ON DELETE CASCADE,
    action        varchar(50)      NOT NULL,
    confidence    double precision,
    is_suspicious boolean          NOT NULL DEFAULT false,
    all_scores    jsonb,
    created_at    timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT uq_action_results_detection_id UNIQUE (detection_id),
    CONSTRAINT ck_action_results_confidence CHECK (confidence IS NULL OR (confidence >= 0.0 AND confidence <= 1.0))
);
