-- cameras, detections, events and their junction: the core of the pipeline.

CREATE TABLE cameras (
    id           varchar(100)  PRIMARY KEY,
    name         varchar(255)  NOT NULL,
    folder_path  varchar(1024) NOT NULL,
    status       varchar(20)   NOT NULL DEFAULT 'online',
    created_at   timestamptz   NOT NULL DEFAULT now(),
    last_seen_at timestamptz,
    deleted_at   timestamptz,
    -- The file watcher's contract: id == normalize_camera_id(folder name).
    CONSTRAINT ck_cameras_id_format CHECK (id ~ '^[a-z0-9]+(_[a-z0-9]+)*$'),
    CONSTRAINT ck_cameras_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT ck_cameras_status CHECK (status IN ('online', 'offline', 'error', 'unknown'))
);

CREATE TABLE detections (
    id                serial        PRIMARY KEY,
    camera_id         varchar(100)  NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    file_path         varchar(1024) NOT NULL,
    file_type         varchar(16),
    detected_at       timestamptz   NOT NULL DEFAULT now(),
    object_type       varchar(64),
    confidence        double precision,
    bbox_x            integer,
    bbox_y            integer,
    bbox_width        integer,
    bbox_height       integer,
    thumbnail_path    varchar(1024),
    media_type        varchar(10)   DEFAULT 'image',
    duration          double precision,
    video_codec       varchar(32),
    video_width       integer,
    video_height      integer,
    enrichment_data   jsonb,
    -- Idempotency: the queue message a detection came from, the frame of a video
    -- (0 for a still) and the object's place in that frame. A redelivered message
    -- produces the same triple, which the unique index below refuses.
    source_message_id varchar(64),
    frame_index       integer       NOT NULL DEFAULT 0,
    object_index      integer       NOT NULL DEFAULT 0,
    -- Seconds from the start of a video to the sampled frame (NULL for stills).
    frame_offset      double precision,
    CONSTRAINT ck_detections_confidence CHECK (confidence IS NULL OR (confidence >= 0.0 AND confidence <= 1.0)),
    CONSTRAINT ck_detections_media_type CHECK (media_type IS NULL OR media_type IN ('image', 'video')),
    CONSTRAINT ck_detections_bbox CHECK (
        (bbox_x IS NULL OR bbox_x >= 0) AND (bbox_y IS NULL OR bbox_y >= 0)
        AND (bbox_width IS NULL OR bbox_width >= 0) AND (bbox_height IS NULL OR bbox_height >= 0)),
    CONSTRAINT ck_detections_duration CHECK (duration IS NULL OR duration >= 0.0),
    CONSTRAINT ck_detections_video_size CHECK (
        (video_width IS NULL OR video_width > 0) AND (video_height IS NULL OR video_height > 0)),
    CONSTRAINT ck_detections_frame CHECK (frame_index >= 0 AND object_index >= 0 AND (frame_offset IS NULL OR frame_offset >= 0.0))
);
CREATE INDEX idx_detections_camera_id ON detections (camera_id);
CREATE INDEX idx_detections_detected_at ON detections (detected_at);
CREATE INDEX idx_detections_camera_time ON detections (camera_id, detected_at);
CREATE UNIQUE INDEX uq_detections_source ON detections (source_message_id, frame_index, object_index);

CREATE TABLE events (
    id            serial        PRIMARY KEY,
    batch_id      varchar(64)   NOT NULL,
    camera_id     varchar(100)  NOT NULL REFERENCES cameras (id) ON DELETE CASCADE,
    started_at    timestamptz   NOT NULL,
    ended_at      timestamptz,
    risk_score    integer,
    risk_level    varchar(10),
    summary       text,
    reasoning     text,
    detection_ids text,
    reviewed      boolean       NOT NULL DEFAULT false,
    notes         text,
    is_fast_path  boolean       NOT NULL DEFAULT false,
    object_types  text,
    clip_path     varchar(1024),
    search_vector tsvector,
    deleted_at    timestamptz,
    CONSTRAINT ck_events_risk_score CHECK (risk_score IS NULL OR (risk_score >= 0 AND risk_score <= 100)),
    CONSTRAINT ck_events_risk_level CHECK (risk_level IS NULL OR risk_level IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT ck_events_time_order CHECK (ended_at IS NULL OR ended_at >= started_at),
    -- summary is carried in idx_events_export_covering, whose B-tree entries must stay
    -- under about 2.7 kB; a summary longer than this is not a summary.
    CONSTRAINT ck_events_summary_length CHECK (summary IS NULL OR char_length(summary) <= 2000)
);
CREATE INDEX idx_events_camera_id ON events (camera_id);
CREATE INDEX idx_events_started_at ON events (started_at);
CREATE INDEX idx_events_risk_score ON events (risk_score);
CREATE INDEX idx_events_reviewed ON events (reviewed);
-- Unique: the analysis worker's writes are idempotent on the batch they came from.
CREATE UNIQUE INDEX idx_events_batch_id ON events (batch_id);
CREATE INDEX idx_events_search_vector ON events USING gin (search_vector);
CREATE INDEX idx_events_object_types_trgm ON events USING gin (object_types gin_trgm_ops);
CREATE INDEX idx_events_risk_level_started_at ON events (risk_level, started_at);
CREATE INDEX idx_events_export_covering ON events (started_at, id)
    INCLUDE (ended_at, risk_level, risk_score, camera_id, object_types, summary);
CREATE INDEX idx_events_unreviewed ON events (id) WHERE reviewed = false;

CREATE TABLE event_detections (
    event_id     integer     NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    detection_id integer     NOT NULL REFERENCES detections (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, detection_id)
);
CREATE INDEX idx_event_detections_event_id ON event_detections (event_id);
CREATE INDEX idx_event_detections_detection_id ON event_detections (detection_id);
CREATE INDEX idx_event_detections_created_at ON event_detections (created_at);
