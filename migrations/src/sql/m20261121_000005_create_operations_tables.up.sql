-- Monitoring, logging, auditing and background-job bookkeeping.

CREATE TABLE gpu_stats (
    id                           serial           PRIMARY KEY,
    recorded_at                  timestamptz      NOT NULL DEFAULT now(),
    gpu_name                     varchar(255),
    gpu_utilization              double precision,
    memory_used                  integer,
    memory_total                 integer,
    temperature                  double precision,
    power_usage                  double precision,
    inference_fps                double precision,
    fan_speed                    integer,
    sm_clock                     integer,
    memory_bandwidth_utilization double precision,
    pstate                       integer,
    throttle_reasons             integer,
    power_limit                  double precision,
    sm_clock_max                 integer,
    compute_processes_count      integer,
    pcie_replay_counter          integer,
    temp_slowdown_threshold      double precision,
    memory_clock                 integer,
    memory_clock_max             integer,
    pcie_link_gen                integer,
    pcie_link_width              integer,
    pcie_tx_throughput           integer,
    pcie_rx_throughput           integer,
    encoder_utilization          integer,
    decoder_utilization          integer,
    bar1_used                    integer
);
CREATE INDEX ix_gpu_stats_recorded_at_brin ON gpu_stats USING brin (recorded_at);

CREATE TABLE audit_logs (
    id            serial       PRIMARY KEY,
    "timestamp"   timestamptz  NOT NULL DEFAULT now(),
    action        varchar(50)  NOT NULL,
    resource_type varchar(50)  NOT NULL,
    resource_id   varchar(255),
    actor         varchar(100) NOT NULL,
    ip_address    varchar(45),
    user_agent    text,
    details       jsonb,
    status        varchar(20)  NOT NULL DEFAULT 'success',
    CONSTRAINT ck_audit_logs_status CHECK (status IN ('success', 'failure'))
);
CREATE INDEX idx_audit_logs_timestamp ON audit_logs ("timestamp");
CREATE INDEX idx_audit_logs_action ON audit_logs (action);
CREATE INDEX idx_audit_logs_resource_type ON audit_logs (resource_type);
CREATE INDEX idx_audit_logs_actor ON audit_logs (actor);
CREATE INDEX idx_audit_logs_status ON audit_logs (status);
CREATE INDEX idx_audit_logs_resource ON audit_logs (resource_type, resource_id);
CREATE INDEX ix_audit_logs_timestamp_brin ON audit_logs USING brin ("timestamp");

CREATE TABLE logs (
    id            serial       PRIMARY KEY,
    "timestamp"   timestamptz  NOT NULL DEFAULT now(),
    level         varchar(10)  NOT NULL,
    component     varchar(50)  NOT NULL,
    message       text         NOT NULL,
    camera_id     varchar(100),
    event_id      integer,
    request_id    varchar(36),
    detection_id  integer,
    duration_ms   integer,
    extra         jsonb,
    source        varchar(10)  NOT NULL DEFAULT 'backend',
    user_agent    text,
    search_vector tsvector,
    CONSTRAINT ck_logs_level CHECK (level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')),
    CONSTRAINT ck_logs_source CHECK (source IN ('backend', 'frontend'))
);
CREATE INDEX idx_logs_timestamp ON logs ("timestamp");
CREATE INDEX idx_logs_level ON logs (level);
CREATE INDEX idx_logs_component ON logs (component);
CREATE INDEX idx_logs_camera_id ON logs (camera_id);
CREATE INDEX idx_logs_source ON logs (source);
CREATE INDEX ix_logs_timestamp_brin ON logs USING brin ("timestamp");
CREATE INDEX idx_logs_search_vector ON logs USING gin (search_vector);

CREATE TABLE jobs (
    id               varchar(36)  PRIMARY KEY,
    job_type         varchar(50)  NOT NULL,
    status           varchar(20)  NOT NULL DEFAULT 'queued',
    queue_name       varchar(100),
    priority         integer      NOT NULL DEFAULT 2,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    started_at       timestamptz,
    completed_at     timestamptz,
    progress_percent integer      NOT NULL DEFAULT 0,
    current_step     varchar(255),
    result           jsonb,
    error_message    text,
    error_traceback  text,
    attempt_number   integer      NOT NULL DEFAULT 1,
    max_attempts     integer      NOT NULL DEFAULT 3,
    next_retry_at    timestamptz,
    CONSTRAINT ck_jobs_status CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    CONSTRAINT ck_jobs_progress_percent CHECK (progress_percent >= 0 AND progress_percent <= 100),
    CONSTRAINT ck_jobs_priority CHECK (priority >= 0 AND priority <= 4),
    CONSTRAINT ck_jobs_attempt_number CHECK (attempt_number >= 1),
    CONSTRAINT ck_jobs_max_attempts CHECK (max_attempts >= 1),
    CONSTRAINT ck_jobs_completed_after_created CHECK (completed_at IS NULL OR completed_at >= created_at),
    CONSTRAINT ck_jobs_started_after_created CHECK (started_at IS NULL OR started_at >= created_at)
);
CREATE INDEX idx_jobs_status ON jobs (status);
CREATE INDEX idx_jobs_job_type ON jobs (job_type);
CREATE INDEX idx_jobs_created_at ON jobs (created_at);
CREATE INDEX idx_jobs_queue_name ON jobs (queue_name);
CREATE INDEX idx_jobs_priority ON jobs (priority);
CREATE INDEX idx_jobs_status_created_at ON jobs (status, created_at);
CREATE INDEX idx_jobs_job_type_status ON jobs (job_type, status);
CREATE INDEX ix_jobs_created_at_brin ON jobs USING brin (created_at);

-- job_attempts and job_logs refer to jobs by a uuid while jobs.id is varchar(36), as
-- documented; the types differ, so the reference is by value, not a foreign key.
CREATE TABLE job_attempts (
    id              uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id          uuid         NOT NULL,
    attempt_number  integer      NOT NULL DEFAULT 1,
    started_at      timestamptz  NOT NULL DEFAULT now(),
    ended_at        timestamptz,
    status          varchar(20)  NOT NULL DEFAULT 'started',
    worker_id       varchar(100),
    error_message   text,
    error_traceback text,
    result          jsonb,
    CONSTRAINT ck_job_attempts_status CHECK (status IN ('started', 'succeeded', 'failed', 'cancelled')),
    CONSTRAINT ck_job_attempts_attempt_number CHECK (attempt_number >= 1),
    CONSTRAINT ck_job_attempts_ended_after_started CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX idx_job_attempts_job_id ON job_attempts (job_id);
CREATE INDEX idx_job_attempts_job_attempt ON job_attempts (job_id, attempt_number);
CREATE INDEX idx_job_attempts_status ON job_attempts (status);
CREATE INDEX ix_job_attempts_started_at_brin ON job_attempts USING brin (started_at);

CREATE TABLE job_logs (
    id             uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id         uuid         NOT NULL,
    attempt_number integer      NOT NULL DEFAULT 1,
    "timestamp"    timestamptz  NOT NULL DEFAULT now(),
    level          varchar(10)  NOT NULL DEFAULT 'info',
    message        text         NOT NULL,
    context        jsonb,
    CONSTRAINT ck_job_logs_level CHECK (level IN ('debug', 'info', 'warning', 'error')),
    CONSTRAINT ck_job_logs_attempt_number CHECK (attempt_number >= 1)
);
CREATE INDEX idx_job_logs_job_id ON job_logs (job_id);
CREATE INDEX idx_job_logs_job_attempt ON job_logs (job_id, attempt_number);
CREATE INDEX idx_job_logs_level ON job_logs (level);
CREATE INDEX idx_job_logs_job_timestamp ON job_logs (job_id, "timestamp");
CREATE INDEX ix_job_logs_timestamp_brin ON job_logs USING brin ("timestamp");

CREATE TABLE job_transitions (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id          varchar(36) NOT NULL,
    from_status     varchar(50) NOT NULL,
    to_status       varchar(50) NOT NULL,
    transitioned_at timestamptz NOT NULL DEFAULT now(),
    triggered_by    varchar(50) NOT NULL DEFAULT 'worker',
    metadata_json   text,
    CONSTRAINT ck_job_transitions_triggered_by CHECK (triggered_by IN ('worker', 'user', 'timeout', 'retry', 'system'))
);
CREATE INDEX idx_job_transitions_job_id ON job_transitions (job_id);
CREATE INDEX idx_job_transitions_transitioned_at ON job_transitions (transitioned_at);
CREATE INDEX idx_job_transitions_job_id_transitioned_at ON job_transitions (job_id, transitioned_at);

CREATE TABLE export_jobs (
    id                       uuid              PRIMARY KEY DEFAULT gen_random_uuid(),
    status                   export_job_status NOT NULL DEFAULT 'pending',
    export_type              varchar(50)       NOT NULL,
    export_format            varchar(20)       NOT NULL DEFAULT 'csv',
    total_items              integer,
    processed_items          integer           NOT NULL DEFAULT 0,
    progress_percent         integer           NOT NULL DEFAULT 0,
    current_step             varchar(255),
    created_at               timestamptz       NOT NULL DEFAULT now(),
    started_at               timestamptz,
    completed_at             timestamptz,
    estimated_completion     timestamptz,
    output_path              varchar(512),
    output_size_bytes        integer,
    error_message            text,
    filter_params            text,
    expires_at               timestamptz       DEFAULT now() + interval '7 days',
    download_count           integer           NOT NULL DEFAULT 0,
    last_downloaded_at       timestamptz,
    sensitivity_acknowledged boolean           NOT NULL DEFAULT false,
    acknowledged_at          timestamptz,
    retention_days           integer,
    legal_hold               boolean           NOT NULL DEFAULT false,
    compliance_metadata      jsonb,
    CONSTRAINT ck_export_jobs_export_type CHECK (export_type IN ('events', 'alerts', 'full_backup')),
    CONSTRAINT ck_export_jobs_export_format CHECK (export_format IN ('csv', 'json', 'zip', 'excel')),
    CONSTRAINT ck_export_jobs_progress_percent CHECK (progress_percent >= 0 AND progress_percent <= 100),
    CONSTRAINT ck_export_jobs_processed_items CHECK (processed_items >= 0),
    CONSTRAINT ck_export_jobs_total_items CHECK (total_items IS NULL OR total_items >= 0),
    CONSTRAINT ck_export_jobs_output_size_bytes CHECK (output_size_bytes IS NULL OR output_size_bytes >= 0),
    CONSTRAINT ck_export_jobs_download_count CHECK (download_count >= 0),
    CONSTRAINT ck_export_jobs_retention_days CHECK (retention_days IS NULL OR retention_days > 0)
);
CREATE INDEX idx_export_jobs_status ON export_jobs (status);
CREATE INDEX idx_export_jobs_export_type ON export_jobs (export_type);
CREATE INDEX idx_export_jobs_created_at ON export_jobs (created_at);
CREATE INDEX idx_export_jobs_status_created_at ON export_jobs (status, created_at);
CREATE INDEX idx_export_jobs_expires_at ON export_jobs (expires_at);
CREATE INDEX idx_export_jobs_legal_hold ON export_jobs (legal_hold);

CREATE TABLE backup_jobs (
    id               uuid              PRIMARY KEY DEFAULT gen_random_uuid(),
    status           backup_job_status NOT NULL DEFAULT 'pending',
    total_tables     integer           NOT NULL DEFAULT 8,
    completed_tables integer           NOT NULL DEFAULT 0,
    progress_percent integer           NOT NULL DEFAULT 0,
    current_step     varchar(255),
    created_at       timestamptz       NOT NULL DEFAULT now(),
    started_at       timestamptz,
    completed_at     timestamptz,
    file_path        varchar(512),
    file_size_bytes  integer,
    manifest_json    jsonb,
    error_message    text,
    CONSTRAINT ck_backup_jobs_progress_percent CHECK (progress_percent >= 0 AND progress_percent <= 100)
);
CREATE INDEX idx_backup_jobs_status ON backup_jobs (status);
CREATE INDEX idx_backup_jobs_created_at ON backup_jobs (created_at);

CREATE TABLE restore_jobs (
    id                uuid               PRIMARY KEY DEFAULT gen_random_uuid(),
    status            restore_job_status NOT NULL DEFAULT 'pending',
    backup_id         varchar(64),
    backup_created_at timestamptz,
    total_tables      integer            NOT NULL DEFAULT 8,
    completed_tables  integer            NOT NULL DEFAULT 0,
    progress_percent  integer            NOT NULL DEFAULT 0,
    current_step      varchar(255),
    created_at        timestamptz        NOT NULL DEFAULT now(),
    started_at        timestamptz,
    completed_at      timestamptz,
    items_restored    jsonb,
    error_message     text,
    CONSTRAINT ck_restore_jobs_progress_percent CHECK (progress_percent >= 0 AND progress_percent <= 100)
);
CREATE INDEX idx_restore_jobs_status ON restore_jobs (status);
CREATE INDEX idx_restore_jobs_created_at ON restore_jobs (created_at);
