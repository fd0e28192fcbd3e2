DROP VIEW IF EXISTS file_ledger;
DROP TABLE IF EXISTS processed_files;
DROP TABLE IF EXISTS media_files;
DROP TYPE IF EXISTS media_file_state;
REVOKE SELECT ON event_detections FROM hsi_batch_aggregator;
