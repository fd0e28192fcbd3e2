//! One SeaORM entity per table of the migrations, grouped by the service that owns
//! (alone writes) the table. Each table module is also re-exported here, so callers
//! can write `hsi_db::entities::cameras::Entity` without naming the owner.

pub mod analysis_worker;
pub mod batch_aggregator;
pub mod detection_worker;
pub mod enums;
pub mod file_watcher;
pub mod gateway;
pub mod prelude;
pub mod shared;

pub use analysis_worker::alert_deliveries;
pub use analysis_worker::alerts;
// The `entities` table is re-exported as `entity_records`: `entities::entities` would clash.
pub use analysis_worker::entities as entity_records;
pub use analysis_worker::event_audits;
pub use analysis_worker::event_detections;
pub use analysis_worker::events;
pub use batch_aggregator::activity_baselines;
pub use batch_aggregator::class_baselines;
pub use detection_worker::action_results;
pub use detection_worker::demographics_results;
pub use detection_worker::detections;
pub use detection_worker::gpu_stats;
pub use detection_worker::pose_results;
pub use detection_worker::processed_files;
pub use detection_worker::reid_embeddings;
pub use detection_worker::threat_detections;
pub use file_watcher::cameras;
pub use file_watcher::media_files;
pub use file_watcher::scene_changes;
pub use gateway::alert_rules;
pub use gateway::api_keys;
pub use gateway::audit_logs;
pub use gateway::backup_jobs;
pub use gateway::camera_notification_settings;
pub use gateway::camera_zones;
pub use gateway::event_feedback;
pub use gateway::export_jobs;
pub use gateway::job_attempts;
pub use gateway::job_logs;
pub use gateway::job_transitions;
pub use gateway::jobs;
pub use gateway::notification_preferences;
pub use gateway::prompt_configs;
pub use gateway::prompt_versions;
pub use gateway::quiet_hours_periods;
pub use gateway::restore_jobs;
pub use gateway::user_calibration;
pub use shared::logs;
