-- Extensions and the PostgreSQL enum types of the data model.
-- pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TYPE alert_severity AS ENUM ('low', 'medium', 'high', 'critical');
CREATE TYPE alert_status AS ENUM ('pending', 'delivered', 'acknowledged', 'dismissed');
CREATE TYPE camera_zone_type_enum AS ENUM ('entry_point', 'driveway', 'sidewalk', 'yard', 'other');
CREATE TYPE camera_zone_shape_enum AS ENUM ('rectangle', 'polygon');
CREATE TYPE scene_change_type_enum AS ENUM ('view_blocked', 'angle_changed', 'view_tampered', 'unknown');
CREATE TYPE ai_model_enum AS ENUM ('nemotron', 'florence2', 'yolo_world', 'xclip', 'fashion_clip');
CREATE TYPE export_job_status AS ENUM ('pending', 'running', 'completed', 'failed');
CREATE TYPE backup_job_status AS ENUM ('pending', 'running', 'completed', 'failed');
CREATE TYPE restore_job_status AS ENUM ('pending', 'validating', 'restoring', 'completed', 'failed');

-- Keeps updated_at current on tables whose documents say "auto-updated".
-- Functions are CREATE OR REPLACE because `migrate fresh` drops tables and types but
-- leaves functions behind.
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
