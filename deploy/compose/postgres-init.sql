-- Runs once when the PostgreSQL container is created: the owner role and the service
-- roles with their passwords (the migrations create the roles too, without passwords).
CREATE ROLE hsi LOGIN CREATEDB CREATEROLE PASSWORD 'hsi';
CREATE DATABASE hsi OWNER hsi;
CREATE ROLE hsi_file_watcher LOGIN PASSWORD 'hsi';
CREATE ROLE hsi_detection_worker LOGIN PASSWORD 'hsi';
CREATE ROLE hsi_batch_aggregator LOGIN PASSWORD 'hsi';
CREATE ROLE hsi_analysis_worker LOGIN PASSWORD 'hsi';
CREATE ROLE hsi_gateway LOGIN PASSWORD 'hsi';
