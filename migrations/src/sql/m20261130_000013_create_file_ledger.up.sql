-- The file ledger: PostgreSQL, not a Redis key with a TTL, is the record of every file
-- the file-watcher saw and of every file the detection-worker finished, so a restart,
-- a week-old archive or an empty Redis never replays a file, and "found nothing" is a
-- row rather than the absence of one.

CREATE TYPE media_file_state AS ENUM ('accepted', 'refused', 'duplicate', 'abandoned');

-- Written by the file-watcher: one row per version (path, size, modification time) of
-- a file it looked at, with what it decided.
CREATE TABLE media_files (
    id             bigserial        PRIMARY KEY,
    -- NULL while the file's folder is not a registered camera (some refusals).
    camera_id      varchar(100)     REFERENCES cameras (id) ON DELETE CASCADE,
    -- For display and search (lossy where the name is not UTF-8) ...
    path           text             NOT NULL,
    -- ... and exactly, because file names need not be UTF-8.
    path_bytes     bytea            NOT NULL,
    size_bytes     bigint           NOT NULL,
    modified_at    timestamptz,
    sha256         char(64),
    media_kind     varchar(10),
    file_type      varchar(16),
    state          media_file_state NOT NULL,
    -- Why a file was refused or abandoned: a stable label, then the detail.
    refusal_reason varchar(40),
    refusal_detail text,
    -- The accepted file with the same content, for a duplicate.
    duplicate_of   bigint           REFERENCES media_files (id) ON DELETE SET NULL,
    -- The files-stream message id; the detection-worker keys its writes on it, so a
    -- re-enqueued file is recognisably the same file.
    message_id     varchar(64),
    observed_at    timestamptz      NOT NULL DEFAULT now(),
    -- The last time it was put on the files stream, the entry it got, and how often.
    enqueued_at    timestamptz,
    stream_entry   varchar(40),
    enqueue_count  integer          NOT NULL DEFAULT 0,
    created_at     timestamptz      NOT NULL DEFAULT now(),
    updated_at     timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT ck_media_files_sha256 CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_media_files_size CHECK (size_bytes >= 0),
    CONSTRAINT ck_media_files_media_kind CHECK (media_kind IS NULL OR media_kind IN ('image', 'video')),
    CONSTRAINT ck_media_files_enqueue_count CHECK (enqueue_count >= 0),
    CONSTRAINT ck_media_files_accepted CHECK (state NOT IN ('accepted', 'abandoned') OR (
        camera_id IS NOT NULL AND sha256 IS NOT NULL AND message_id IS NOT NULL AND media_kind IS NOT NULL)),
    CONSTRAINT ck_media_files_reason CHECK ((state IN ('refused', 'abandoned')) = (refusal_reason IS NOT NULL)),
    CONSTRAINT ck_media_files_duplicate CHECK (state <> 'duplicate' OR sha256 IS NOT NULL)
);
-- One accepted file per content and camera: what makes a replay impossible.
CREATE UNIQUE INDEX uq_media_files_camera_content ON media_files (camera_id, sha256)
    WHERE state IN ('accepted', 'abandoned');
CREATE UNIQUE INDEX uq_media_files_message_id ON media_files (message_id) WHERE message_id IS NOT NULL;
-- "Have I seen this version of this path?" at every scan; hash, because paths can be
-- longer than a B-tree entry may be.
CREATE INDEX idx_media_files_path_bytes ON media_files USING hash (path_bytes);
-- The recovery sweep: accepted files, newest first.
CREATE INDEX idx_media_files_accepted ON media_files (created_at) WHERE state = 'accepted';
CREATE INDEX idx_media_files_camera_created ON media_files (camera_id, created_at);
CREATE INDEX idx_media_files_state_created ON media_files (state, created_at);
CREATE TRIGGER trg_media_files_updated_at BEFORE UPDATE ON media_files
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Written by the detection-worker in the same transaction as a file's detections: the
-- file was processed, with this outcome, even when nothing was found in it.
CREATE TABLE processed_files (
    -- detections.source_message_id of the file's detections.
    message_id      varchar(64)  PRIMARY KEY,
    media_file_id   bigint       REFERENCES media_files (id) ON DELETE CASCADE,
    outcome         varchar(16)  NOT NULL,
    detection_count integer      NOT NULL DEFAULT 0,
    frame_count     integer      NOT NULL DEFAULT 0,
    error           text,
    attempts        integer      NOT NULL DEFAULT 1,
    processed_at    timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT ck_processed_files_outcome CHECK (outcome IN ('detected', 'failed')),
    CONSTRAINT ck_processed_files_error CHECK ((outcome = 'failed') = (error IS NOT NULL)),
    CONSTRAINT ck_processed_files_counts CHECK (detection_count >= 0 AND frame_count >= 0 AND attempts >= 1)
);
CREATE UNIQUE INDEX uq_processed_files_media_file_id ON processed_files (media_file_id)
    WHERE media_file_id IS NOT NULL;
CREATE INDEX idx_processed_files_processed_at ON processed_files (processed_at);

-- Where each file stands, for operators and the gateway: refused and duplicate files
-- with their reason, processed or failed ones with their outcome, the rest queued.
CREATE VIEW file_ledger AS
SELECT m.id, m.camera_id, m.path, m.size_bytes, m.modified_at, m.sha256, m.media_kind, m.file_type,
       m.state, m.refusal_reason, m.refusal_detail, m.duplicate_of, m.message_id, m.observed_at,
       m.enqueued_at, m.enqueue_count, m.created_at,
       p.outcome, p.detection_count, p.frame_count, p.error AS processing_error, p.processed_at,
       CASE
           WHEN m.state IN ('refused', 'duplicate') THEN m.state::text
           WHEN p.outcome = 'detected' THEN 'processed'
           WHEN p.outcome = 'failed' THEN 'failed'
           WHEN m.state = 'abandoned' THEN 'abandoned'
           ELSE 'queued'
       END AS status
FROM media_files m
LEFT JOIN processed_files p ON p.media_file_id = m.id;

GRANT SELECT, INSERT, UPDATE ON media_files TO hsi_file_watcher;
GRANT USAGE ON SEQUENCE media_files_id_seq TO hsi_file_watcher;
-- Which accepted files are still unprocessed, for the recovery sweep.
GRANT SELECT ON processed_files TO hsi_file_watcher;

GRANT SELECT, INSERT, UPDATE ON processed_files TO hsi_detection_worker;

-- The aggregator's recovery finds detections of recently processed files that are in
-- no event yet.
GRANT SELECT ON processed_files, event_detections TO hsi_batch_aggregator;

GRANT SELECT ON media_files, processed_files TO hsi_analysis_worker;
GRANT SELECT ON media_files, processed_files, file_ledger TO hsi_gateway;
