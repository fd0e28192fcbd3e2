//! Written by the detection worker: detections, their enrichment results and GPU statistics.

pub mod action_results;
pub mod demographics_results;
pub mod detections;
pub mod gpu_stats;
pub mod pose_results;
pub mod processed_files;
pub mod reid_embeddings;
pub mod threat_detections;
