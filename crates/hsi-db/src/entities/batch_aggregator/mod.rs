//! Written by the batch aggregator: the activity baselines it learns from detections.

pub mod activity_baselines;
pub mod class_baselines;
