DROP TRIGGER IF EXISTS trg_logs_search_vector ON logs;
DROP FUNCTION IF EXISTS logs_search_vector_update();
DROP TRIGGER IF EXISTS trg_cameras_refresh_event_search ON cameras;
DROP FUNCTION IF EXISTS cameras_refresh_event_search();
DROP TRIGGER IF EXISTS trg_events_search_vector ON events;
DROP FUNCTION IF EXISTS events_search_vector_update();
