DROP TABLE IF EXISTS action_results;
DROP TABLE IF EXISTS reid_embeddings;
DROP TABLE IF EXISTS demographics_results;
DROP TABLE IF EXISTS threat_detections;
DROP TABLE IF EXISTS pose_results;
