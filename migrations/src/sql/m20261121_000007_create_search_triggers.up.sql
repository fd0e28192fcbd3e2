-- Full-text search vectors kept current by triggers.
-- The functions are SECURITY DEFINER so that whichever service role writes a row
-- (analysis worker for events, any service for logs, the file watcher renaming a
-- camera) can refresh the vector without broader grants.

CREATE OR REPLACE FUNCTION events_search_vector_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    camera_name text;
BEGIN
    SELECT c.name INTO camera_name FROM cameras c WHERE c.id = NEW.camera_id;
    NEW.search_vector :=
           setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'A')
        || setweight(to_tsvector('english', coalesce(camera_name, '') || ' ' || replace(NEW.camera_id, '_', ' ')), 'B')
        || setweight(to_tsvector('english', replace(coalesce(NEW.object_types, ''), ',', ' ')), 'B')
        || setweight(to_tsvector('english', coalesce(NEW.reasoning, '')), 'C');
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_events_search_vector
    BEFORE INSERT OR UPDATE OF summary, reasoning, object_types, camera_id ON events
    FOR EACH ROW EXECUTE FUNCTION events_search_vector_update();

-- A renamed camera must be findable under its new name: touch its events so the
-- trigger above recomputes their vectors.
CREATE OR REPLACE FUNCTION cameras_refresh_event_search() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE events SET camera_id = camera_id WHERE camera_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER trg_cameras_refresh_event_search
    AFTER UPDATE OF name ON cameras
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION cameras_refresh_event_search();

CREATE OR REPLACE FUNCTION logs_search_vector_update() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    NEW.search_vector :=
           setweight(to_tsvector('english', coalesce(NEW.message, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(NEW.component, '') || ' ' || coalesce(NEW.level, '')
                                            || ' ' || coalesce(NEW.camera_id, '')), 'B');
    RETURN NEW;
END
$$;

CREATE TRIGGER trg_logs_search_vector
    BEFORE INSERT OR UPDATE OF message, component, level, camera_id ON logs
    FOR EACH ROW EXECUTE FUNCTION logs_search_vector_update();
