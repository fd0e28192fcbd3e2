//! Written by the API gateway: configuration, user feedback, audit trail and background jobs.

pub mod alert_rules;
pub mod api_keys;
pub mod audit_logs;
pub mod backup_jobs;
pub mod camera_notification_settings;
pub mod camera_zones;
pub mod event_feedback;
pub mod export_jobs;
pub mod job_attempts;
pub mod job_logs;
pub mod job_transitions;
pub mod jobs;
pub mod notification_preferences;
pub mod prompt_configs;
pub mod prompt_versions;
pub mod quiet_hours_periods;
pub mod restore_jobs;
pub mod user_calibration;
