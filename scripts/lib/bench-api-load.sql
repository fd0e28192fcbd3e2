-- Loads :events synthetic events, each with 1-3 detections, into a freshly migrated
-- database for scripts/bench-api. Run as the owner role:
--
--   psql -v events=1000000 -v search_vector=bulk -f scripts/lib/bench-api-load.sql
--
-- The data look like a home's: 8 cameras of unequal traffic, 90 days of events arriving
-- in time order, mostly low risk, summaries and reasoning built from a vocabulary (so
-- full-text search finds common and rare words), some events reviewed, some fast path,
-- a few soft-deleted.
--
-- Set-based and fast: the secondary indexes and foreign keys of the three tables are
-- dropped first and recreated afterwards from their own definitions (pg_indexes,
-- pg_get_constraintdef), so the schema ends exactly as the migrations left it. The
-- search vector is computed in the INSERT with the trigger's own expression
-- (search_vector=bulk, the default) or left to the per-row trigger (search_vector=trigger).
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
SET work_mem = '256MB';
SET client_min_messages = warning;
\if :{?search_vector}
\else
\set search_vector bulk
\endif
\echo loading :events events (search vectors: :search_vector)

SELECT setseed(0.4242) \gset

INSERT INTO cameras (id, name, folder_path, status, created_at, last_seen_at)
SELECT id, name, '/var/lib/hsi/cameras/' || name, 'online', now() - interval '120 days', now()
FROM (VALUES ('front_door', 'Front Door'), ('driveway', 'Driveway'), ('backyard', 'Backyard'),
             ('garage', 'Garage'), ('side_gate', 'Side Gate'), ('porch', 'Porch'),
             ('street', 'Street'), ('living_room', 'Living Room')) AS c (id, name);

-- What is dropped now and recreated after the load.
CREATE TEMP TABLE bench_ddl AS
SELECT 1 AS step, format('DROP INDEX %I', i.indexname) AS ddl,
       i.indexdef AS redo
FROM pg_indexes i
WHERE i.schemaname = 'public' AND i.tablename IN ('events', 'detections', 'event_detections')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype IN ('p', 'u'))
UNION ALL
SELECT 0, format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
FROM pg_constraint c
WHERE c.contype = 'f' AND c.conrelid IN ('events'::regclass, 'detections'::regclass, 'event_detections'::regclass);
SELECT ddl FROM bench_ddl ORDER BY step, ddl \gexec

-- One row per event with every random draw it needs, drawn once.
CREATE TEMP TABLE bench_gen AS
WITH draws AS MATERIALIZED (
    SELECT i, random() AS r_cam, random() AS r_jitter, random() AS r_score, random() AS r_obj,
           random() AS r_obj2, random() AS r_det, random() AS r_subj, random() AS r_verb,
           random() AS r_suffix, random() AS r_reason, random() AS r_review, random() AS r_fast,
           random() AS r_deleted, random() AS r_len, random() AS r_rare
    FROM generate_series(1, :events) AS i
), typed AS (
    SELECT d.*,
           -- Cameras by traffic: front door and driveway busiest, living room quietest.
           (ARRAY['front_door','front_door','front_door','front_door','front_door','front_door',
                  'front_door','front_door','front_door','front_door','front_door',
                  'driveway','driveway','driveway','driveway','driveway','driveway','driveway',
                  'driveway','driveway','driveway',
                  'backyard','backyard','backyard','backyard','backyard','backyard',
                  'garage','garage','garage','garage','garage',
                  'side_gate','side_gate','side_gate','side_gate',
                  'porch','porch','porch','porch','porch','porch',
                  'street','street','street','street','street',
                  'living_room','living_room','living_room'])[1 + floor(d.r_cam * 50)::int] AS camera_id,
           (ARRAY['person','person','person','person','person','person','person','person','person',
                  'car','car','car','car','car','dog','dog','cat','truck','truck','bicycle'])
               [1 + floor(d.r_obj * 20)::int] AS primary_type,
           CASE WHEN d.r_obj2 < 0.3 THEN
               (ARRAY['person','car','dog','cat','truck','bicycle'])[1 + floor(d.r_obj2 / 0.3 * 6)::int]
           END AS second_type,
           -- Skewed low: about 55% low, 25% medium, 14% high, 6% critical.
           least(100, floor(power(d.r_score, 2) * 101))::int AS score
    FROM draws d
)
SELECT t.i, t.camera_id, t.primary_type,
       CASE WHEN t.second_type IS DISTINCT FROM t.primary_type THEN t.second_type END AS second_type,
       1 + floor(t.r_det * 3)::int AS n_det,
       -- Arriving in time order over 90 days, a little out of order within a batch window.
       date_trunc('milliseconds', now() - interval '90 days'
           + ((t.i - 1 + t.r_jitter * 0.5) / :events) * interval '90 days') AS started_at,
       (5 + floor(t.r_len * 85))::int AS seconds,
       t.score,
       CASE WHEN t.score <= 29 THEN 'low' WHEN t.score <= 59 THEN 'medium'
            WHEN t.score <= 84 THEN 'high' ELSE 'critical' END AS level,
       -- Older events are more often reviewed.
       t.r_review < 0.55 * t.i::float8 / :events AS reviewed,
       t.r_fast < 0.05 AS is_fast_path,
       t.r_deleted < 0.005 AS deleted,
       CASE t.primary_type
           WHEN 'person' THEN (ARRAY['A person', 'An unknown person', 'A delivery driver', 'A resident',
               'A man in a hoodie', 'A woman with a backpack', 'Two people', 'A mail carrier',
               'A teenager', 'A courier'])[1 + floor(t.r_subj * 10)::int]
           WHEN 'car' THEN (ARRAY['A car', 'A dark sedan', 'A white SUV', 'A pickup', 'A taxi'])
               [1 + floor(t.r_subj * 5)::int]
           WHEN 'truck' THEN (ARRAY['A delivery truck', 'A moving van', 'A garbage truck'])
               [1 + floor(t.r_subj * 3)::int]
           WHEN 'dog' THEN (ARRAY['A dog', 'A neighbour''s dog', 'A stray dog'])[1 + floor(t.r_subj * 3)::int]
           WHEN 'cat' THEN (ARRAY['A cat', 'A black cat', 'A ginger cat'])[1 + floor(t.r_subj * 3)::int]
           ELSE (ARRAY['A cyclist', 'A bicycle rider', 'A child on a bicycle'])[1 + floor(t.r_subj * 3)::int]
       END
       || ' ' ||
       CASE t.primary_type
           WHEN 'person' THEN (ARRAY['walked up to', 'lingered near', 'knocked at', 'left a package at',
               'looked through the window of', 'tried the handle of', 'rang the doorbell at',
               'climbed a ladder beside', 'shone a flashlight at', 'picked up a parcel from'])
               [1 + floor(t.r_verb * 10)::int]
           WHEN 'car' THEN (ARRAY['parked in front of', 'pulled up by', 'idled near', 'reversed away from',
               'stopped briefly at', 'drove slowly past'])[1 + floor(t.r_verb * 6)::int]
           WHEN 'truck' THEN (ARRAY['parked in front of', 'unloaded boxes near', 'stopped briefly at',
               'drove slowly past'])[1 + floor(t.r_verb * 4)::int]
           WHEN 'bicycle' THEN (ARRAY['rode past', 'stopped at', 'leaned a bike against'])
               [1 + floor(t.r_verb * 3)::int]
           ELSE (ARRAY['wandered across', 'sniffed around', 'ran through', 'sat near'])
               [1 + floor(t.r_verb * 4)::int]
       END
       || ' the ' || replace(t.camera_id, '_', ' ')
       || CASE WHEN t.primary_type = 'person' AND t.r_suffix < 0.3 THEN
              (ARRAY[' carrying a box', ' wearing a mask', ' with a torch', ' holding a phone'])
                  [1 + floor(t.r_suffix / 0.3 * 4)::int]
          ELSE (ARRAY['', '', '', ' during the night', ' early in the morning', ' in the rain',
                      ' while the house was empty', ' after dark', ' at dusk', ' in daylight'])
                  [1 + floor(t.r_suffix * 10)::int]
          END
       || '.'
       -- A rare word (about 0.2% of events), the hardest case for a search ranking the newest matches.
       || CASE WHEN t.r_rare < 0.002 THEN ' A crowbar was seen.' ELSE '' END AS summary,
       t.r_reason
FROM typed t;

SELECT (:'search_vector' = 'bulk') AS bulk \gset
BEGIN;
\if :bulk
ALTER TABLE events DISABLE TRIGGER trg_events_search_vector;
\endif
INSERT INTO events (id, batch_id, camera_id, started_at, ended_at, risk_score, risk_level, summary,
                    reasoning, detection_ids, reviewed, notes, is_fast_path, object_types, clip_path,
                    search_vector, deleted_at)
SELECT g.i, md5('bench-batch-' || g.i), g.camera_id, g.started_at,
       g.started_at + make_interval(secs => g.seconds), g.score, g.level, g.summary, r.reasoning,
       (SELECT '[' || string_agg((3 * (g.i - 1) + j)::text, ',') || ']' FROM generate_series(1, g.n_det) AS j),
       g.reviewed, CASE WHEN g.reviewed AND g.i % 7 = 0 THEN 'checked, nothing to worry about' END,
       g.is_fast_path, o.object_types, NULL,
       -- The trigger's expression (events_search_vector_update), for all rows at once.
       CASE WHEN :'search_vector' = 'bulk' THEN
              setweight(to_tsvector('english', coalesce(g.summary, '')), 'A')
           || setweight(to_tsvector('english', coalesce(c.name, '') || ' ' || replace(g.camera_id, '_', ' ')), 'B')
           || setweight(to_tsvector('english', replace(coalesce(o.object_types, ''), ',', ' ')), 'B')
           || setweight(to_tsvector('english', coalesce(r.reasoning, '')), 'C')
       END,
       CASE WHEN g.deleted THEN g.started_at + interval '2 days' END
FROM bench_gen g
JOIN cameras c ON c.id = g.camera_id
CROSS JOIN LATERAL (SELECT g.primary_type || coalesce(',' || g.second_type, '') AS object_types) o
CROSS JOIN LATERAL (
    SELECT 'Detected ' || g.n_det || CASE WHEN g.n_det = 1 THEN ' object (' ELSE ' objects (' END
           || replace(o.object_types, ',', ', ') || ') on the ' || c.name || ' camera'
           || (ARRAY['; activity is typical for this hour', '; the person stayed longer than usual',
                     '; an unusual hour for this camera', '; the vehicle is not recognised',
                     '; the motion matches a routine delivery', '; repeated visits in the last hour',
                     '; the face was covered', '; an animal triggered the motion',
                     '; the lighting was poor, so confidence is lower',
                     '; movement crossed several cameras'])[1 + floor(g.r_reason * 10)::int]
           || '. Risk score ' || g.score || '.' AS reasoning
) r;
\if :bulk
ALTER TABLE events ENABLE TRIGGER trg_events_search_vector;
\endif
COMMIT;

-- Detection ids are 3*(event-1)+1 .. 3*(event-1)+n, so no join is needed to link them.
INSERT INTO detections (id, camera_id, file_path, file_type, detected_at, object_type, confidence,
                        bbox_x, bbox_y, bbox_width, bbox_height, thumbnail_path, media_type,
                        source_message_id, frame_index, object_index, frame_width, frame_height)
SELECT 3 * (g.i - 1) + j, g.camera_id,
       '/var/lib/hsi/cameras/' || g.camera_id || '/' || to_char(g.started_at, 'YYYYMMDD-HH24MISS') || '-' || g.i || '.jpg',
       'jpg', g.started_at + make_interval(secs => j - 1),
       CASE WHEN j = 2 AND g.second_type IS NOT NULL THEN g.second_type ELSE g.primary_type END,
       round((0.35 + random() * 0.64)::numeric, 3)::float8,
       (random() * 1500)::int, (random() * 800)::int, 40 + (random() * 300)::int, 60 + (random() * 260)::int,
       '/var/lib/hsi/thumbnails/' || (3 * (g.i - 1) + j) || '.jpg', 'image',
       md5('bench-message-' || g.i), 0, j - 1, 1920, 1080
FROM bench_gen g
CROSS JOIN LATERAL generate_series(1, g.n_det) AS j;

INSERT INTO event_detections (event_id, detection_id, created_at)
SELECT g.i, 3 * (g.i - 1) + j, g.started_at
FROM bench_gen g
CROSS JOIN LATERAL generate_series(1, g.n_det) AS j;

SELECT setval('events_id_seq', :events), setval('detections_id_seq', 3 * :events) \gset

\echo recreating indexes and foreign keys
SELECT redo FROM bench_ddl ORDER BY step DESC, redo \gexec
DROP TABLE bench_gen, bench_ddl;

\echo checking the bulk search vectors against the trigger expression
SELECT count(*) AS vectors_differing, count(*) > 0 AS vectors_bad
FROM (SELECT e.* FROM events e ORDER BY e.id LIMIT 2000) e
JOIN cameras c ON c.id = e.camera_id
WHERE e.search_vector IS DISTINCT FROM (
       setweight(to_tsvector('english', coalesce(e.summary, '')), 'A')
    || setweight(to_tsvector('english', coalesce(c.name, '') || ' ' || replace(e.camera_id, '_', ' ')), 'B')
    || setweight(to_tsvector('english', replace(coalesce(e.object_types, ''), ',', ' ')), 'B')
    || setweight(to_tsvector('english', coalesce(e.reasoning, '')), 'C')) \gset
\if :vectors_bad
\echo :vectors_differing search vectors differ from the trigger expression
\quit 3
\endif

VACUUM (ANALYZE) events;
VACUUM (ANALYZE) detections;
VACUUM (ANALYZE) event_detections;
VACUUM (ANALYZE) cameras;
