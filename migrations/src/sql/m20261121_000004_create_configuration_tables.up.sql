-- Per-camera configuration and learned context (zones, baselines, scene changes,
-- notification settings), user calibration, prompts and API keys.

CREATE TABLE camera_zones (
    id          varchar(100)           PRIMARY KEY,
    camera_id   varchar(100)           NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    name        varchar(255)           NOT NULL,
    zone_type   camera_zone_type_enum  NOT NULL DEFAULT 'other',
    coordinates jsonb                  NOT NULL,
    shape       camera_zone_shape_enum NOT NULL DEFAULT 'rectangle',
    color       varchar(7)             NOT NULL DEFAULT '#3B82F6',
    enabled     boolean                NOT NULL DEFAULT true,
    priority    integer                NOT NULL DEFAULT 0,
    created_at  timestamptz            NOT NULL DEFAULT now(),
    updated_at  timestamptz            NOT NULL DEFAULT now(),
    CONSTRAINT ck_camera_zones_priority CHECK (priority >= 0),
    CONSTRAINT ck_camera_zones_color CHECK (color ~ '^#[0-9A-Fa-f]{6}$'),
    -- A list of [x, y] points, normalised to 0..1; the point-in-polygon code reads it.
    CONSTRAINT ck_camera_zones_coordinates CHECK (jsonb_typeof(coordinates) = 'array')
);
CREATE INDEX idx_camera_zones_camera_id ON camera_zones (camera_id);
CREATE INDEX idx_camera_zones_enabled ON camera_zones (enabled);
CREATE INDEX idx_camera_zones_camera_enabled ON camera_zones (camera_id, enabled);
CREATE TRIGGER trg_camera_zones_updated_at BEFORE UPDATE ON camera_zones
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE activity_baselines (
    id           serial           PRIMARY KEY,
    camera_id    varchar(100)     NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    hour         integer          NOT NULL,
    day_of_week  integer          NOT NULL,
    avg_count    double precision NOT NULL DEFAULT 0.0,
    sample_count integer          NOT NULL DEFAULT 0,
    last_updated timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT uq_activity_baselines_slot UNIQUE (camera_id, hour, day_of_week),
    CONSTRAINT ck_activity_baselines_hour CHECK (hour >= 0 AND hour <= 23),
    CONSTRAINT ck_activity_baselines_day_of_week CHECK (day_of_week >= 0 AND day_of_week <= 6),
    CONSTRAINT ck_activity_baselines_counts CHECK (avg_count >= 0.0 AND sample_count >= 0)
);
CREATE INDEX idx_activity_baseline_camera ON activity_baselines (camera_id);
CREATE INDEX idx_activity_baseline_slot ON activity_baselines (camera_id, hour, day_of_week);

CREATE TABLE class_baselines (
    id              serial           PRIMARY KEY,
    camera_id       varchar(100)     NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    detection_class varchar(64)      NOT NULL,
    hour            integer          NOT NULL,
    frequency       double precision NOT NULL DEFAULT 0.0,
    sample_count    integer          NOT NULL DEFAULT 0,
    last_updated    timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT uq_class_baselines_slot UNIQUE (camera_id, detection_class, hour),
    CONSTRAINT ck_class_baselines_hour CHECK (hour >= 0 AND hour <= 23),
    CONSTRAINT ck_class_baselines_counts CHECK (frequency >= 0.0 AND sample_count >= 0)
);
CREATE INDEX idx_class_baseline_camera ON class_baselines (camera_id);
CREATE INDEX idx_class_baseline_class ON class_baselines (camera_id, detection_class);
CREATE INDEX idx_class_baseline_slot ON class_baselines (camera_id, detection_class, hour);

CREATE TABLE scene_changes (
    id               serial                 PRIMARY KEY,
    camera_id        varchar(100)           NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    detected_at      timestamptz            NOT NULL DEFAULT now(),
    change_type      scene_change_type_enum NOT NULL DEFAULT 'unknown',
    similarity_score double precision       NOT NULL,
    acknowledged     boolean                NOT NULL DEFAULT false,
    acknowledged_at  timestamptz,
    file_path        varchar(1024),
    CONSTRAINT ck_scene_changes_similarity_score CHECK (similarity_score >= 0.0 AND similarity_score <= 1.0)
);
CREATE INDEX idx_scene_changes_camera_id ON scene_changes (camera_id);
CREATE INDEX idx_scene_changes_detected_at ON scene_changes (detected_at);
CREATE INDEX idx_scene_changes_acknowledged ON scene_changes (acknowledged);
CREATE INDEX idx_scene_changes_camera_acknowledged ON scene_changes (camera_id, acknowledged);

CREATE TABLE notification_preferences (
    id           integer        PRIMARY KEY DEFAULT 1,
    enabled      boolean        NOT NULL DEFAULT true,
    sound        varchar(20)    NOT NULL DEFAULT 'default',
    risk_filters varchar(20)[]  NOT NULL DEFAULT ARRAY['critical', 'high', 'medium']::varchar(20)[],
    CONSTRAINT ck_notification_preferences_singleton CHECK (id = 1),
    CONSTRAINT ck_notification_preferences_sound CHECK (sound IN ('none', 'default', 'alert', 'chime', 'urgent')),
    CONSTRAINT ck_notification_preferences_risk_filters CHECK (
        risk_filters <@ ARRAY['critical', 'high', 'medium', 'low']::varchar(20)[])
);
-- The singleton exists from the start so readers never have to handle its absence.
INSERT INTO notification_preferences (id) VALUES (1);

CREATE TABLE camera_notification_settings (
    id             uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    camera_id      varchar(100) NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    enabled        boolean      NOT NULL DEFAULT true,
    risk_threshold integer      NOT NULL DEFAULT 0,
    CONSTRAINT ck_camera_notification_settings_risk_threshold CHECK (risk_threshold >= 0 AND risk_threshold <= 100)
);
CREATE UNIQUE INDEX idx_camera_notification_settings_camera_id ON camera_notification_settings (camera_id);

CREATE TABLE quiet_hours_periods (
    id         uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    label      varchar(255)  NOT NULL,
    start_time time          NOT NULL,
    end_time   time          NOT NULL,
    days       varchar(10)[] NOT NULL DEFAULT ARRAY['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']::varchar(10)[],
    -- As documented, a period may not cross midnight: store 22:00-06:00 as two periods.
    CONSTRAINT ck_quiet_hours_periods_time_range CHECK (start_time < end_time),
    CONSTRAINT ck_quiet_hours_periods_days CHECK (
        days <@ ARRAY['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']::varchar(10)[])
);
CREATE INDEX idx_quiet_hours_periods_start_end ON quiet_hours_periods (start_time, end_time);

CREATE TABLE user_calibration (
    id                   serial           PRIMARY KEY,
    user_id              varchar(255)     NOT NULL,
    low_threshold        integer          NOT NULL DEFAULT 30,
    medium_threshold     integer          NOT NULL DEFAULT 60,
    high_threshold       integer          NOT NULL DEFAULT 85,
    decay_factor         double precision NOT NULL DEFAULT 0.1,
    correct_count        integer          NOT NULL DEFAULT 0,
    false_positive_count integer          NOT NULL DEFAULT 0,
    missed_threat_count  integer          NOT NULL DEFAULT 0,
    severity_wrong_count integer          NOT NULL DEFAULT 0,
    created_at           timestamptz      NOT NULL DEFAULT now(),
    updated_at           timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT ck_user_calibration_low_range CHECK (low_threshold >= 0 AND low_threshold <= 100),
    CONSTRAINT ck_user_calibration_medium_range CHECK (medium_threshold >= 0 AND medium_threshold <= 100),
    CONSTRAINT ck_user_calibration_high_range CHECK (high_threshold >= 0 AND high_threshold <= 100),
    CONSTRAINT ck_user_calibration_threshold_order CHECK (low_threshold < medium_threshold AND medium_threshold < high_threshold),
    CONSTRAINT ck_user_calibration_decay_range CHECK (decay_factor >= 0.0 AND decay_factor <= 1.0),
    CONSTRAINT ck_user_calibration_correct_count CHECK (correct_count >= 0),
    CONSTRAINT ck_user_calibration_fp_count CHECK (false_positive_count >= 0),
    CONSTRAINT ck_user_calibration_mt_count CHECK (missed_threat_count >= 0),
    CONSTRAINT ck_user_calibration_sw_count CHECK (severity_wrong_count >= 0)
);
CREATE UNIQUE INDEX idx_user_calibration_user_id ON user_calibration (user_id);
CREATE TRIGGER trg_user_calibration_updated_at BEFORE UPDATE ON user_calibration
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE prompt_configs (
    id            serial           PRIMARY KEY,
    model         varchar(50)      NOT NULL,
    system_prompt text             NOT NULL,
    temperature   double precision NOT NULL DEFAULT 0.7,
    max_tokens    integer          NOT NULL DEFAULT 2048,
    version       integer          NOT NULL DEFAULT 1,
    created_at    timestamptz      NOT NULL DEFAULT now(),
    updated_at    timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT ck_prompt_configs_temperature CHECK (temperature >= 0.0 AND temperature <= 2.0),
    CONSTRAINT ck_prompt_configs_max_tokens CHECK (max_tokens >= 100 AND max_tokens <= 8192),
    CONSTRAINT ck_prompt_configs_version CHECK (version >= 1)
);
CREATE UNIQUE INDEX idx_prompt_configs_model ON prompt_configs (model);
CREATE INDEX idx_prompt_configs_updated_at ON prompt_configs (updated_at);
CREATE TRIGGER trg_prompt_configs_updated_at BEFORE UPDATE ON prompt_configs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE prompt_versions (
    id                 serial        PRIMARY KEY,
    model              ai_model_enum NOT NULL,
    version            integer       NOT NULL,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    created_by         varchar(255),
    config_json        text          NOT NULL,
    change_description text,
    is_active          boolean       NOT NULL DEFAULT false,
    CONSTRAINT ck_prompt_versions_version CHECK (version >= 1)
);
CREATE INDEX idx_prompt_versions_model ON prompt_versions (model);
CREATE INDEX idx_prompt_versions_model_version ON prompt_versions (model, version);
CREATE INDEX idx_prompt_versions_model_active ON prompt_versions (model, is_active);
CREATE INDEX idx_prompt_versions_created_at ON prompt_versions (created_at);

CREATE TABLE api_keys (
    id         serial       PRIMARY KEY,
    key_hash   varchar(64)  NOT NULL,
    name       varchar(100) NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now(),
    is_active  boolean      NOT NULL DEFAULT true,
    CONSTRAINT ck_api_keys_key_hash CHECK (key_hash ~ '^[0-9a-f]{64}$')
);
CREATE UNIQUE INDEX idx_api_keys_key_hash ON api_keys (key_hash);
