//! The enumerations of the data model, each with the exact string stored in PostgreSQL
//! (as a native enum type or a CHECK-constrained varchar).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value that does not name a member of one of these enumerations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?} (expected one of: {expected})")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident as $kind:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every member, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The string stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

string_enum! {
    /// Operational state of a camera (`cameras.status`).
    CameraStatus as "camera status" { Online => "online", Offline => "offline", Error => "error", Unknown => "unknown" }
}
string_enum! {
    /// Lifecycle of an alert (`alert_status`).
    AlertStatus as "alert status" { Pending => "pending", Delivered => "delivered", Acknowledged => "acknowledged", Dismissed => "dismissed" }
}
string_enum! {
    /// What a camera zone covers (`camera_zone_type_enum`).
    ZoneType as "zone type" { EntryPoint => "entry_point", Driveway => "driveway", Sidewalk => "sidewalk", Yard => "yard", Other => "other" }
}
string_enum! {
    /// How a zone's coordinates are read (`camera_zone_shape_enum`).
    ZoneShape as "zone shape" { Rectangle => "rectangle", Polygon => "polygon" }
}
string_enum! {
    /// Kind of camera view change (`scene_change_type_enum`).
    SceneChangeType as "scene change type" { ViewBlocked => "view_blocked", AngleChanged => "angle_changed", ViewTampered => "view_tampered", Unknown => "unknown" }
}
string_enum! {
    /// AI model a prompt version belongs to (`ai_model_enum`).
    AiModel as "ai model" { Nemotron => "nemotron", Florence2 => "florence2", YoloWorld => "yolo_world", Xclip => "xclip", FashionClip => "fashion_clip" }
}
string_enum! {
    /// A user's verdict on an event (`event_feedback.feedback_type`).
    FeedbackType as "feedback type" { Accurate => "accurate", Correct => "correct", FalsePositive => "false_positive", MissedThreat => "missed_threat", SeverityWrong => "severity_wrong" }
}
string_enum! {
    /// Kind of re-identified entity (`entities.entity_type`).
    EntityType as "entity type" { Person => "person", Vehicle => "vehicle", Animal => "animal", Package => "package", Other => "other" }
}
string_enum! {
    /// Trust classification of an entity (`entities.trust_status`).
    TrustStatus as "trust status" { Trusted => "trusted", Untrusted => "untrusted", Unknown => "unknown" }
}
string_enum! {
    /// Background job state (`jobs.status`).
    JobStatus as "job status" { Queued => "queued", Running => "running", Completed => "completed", Failed => "failed", Cancelled => "cancelled" }
}
string_enum! {
    /// Outcome of one job attempt (`job_attempts.status`).
    JobAttemptStatus as "job attempt status" { Started => "started", Succeeded => "succeeded", Failed => "failed", Cancelled => "cancelled" }
}
string_enum! {
    /// Level of a job log line (`job_logs.level`).
    JobLogLevel as "job log level" { Debug => "debug", Info => "info", Warning => "warning", Error => "error" }
}
string_enum! {
    /// What moved a job between states (`job_transitions.triggered_by`).
    JobTransitionTrigger as "job transition trigger" { Worker => "worker", User => "user", Timeout => "timeout", Retry => "retry", System => "system" }
}
string_enum! {
    /// Export job state (`export_job_status`).
    ExportJobStatus as "export job status" { Pending => "pending", Running => "running", Completed => "completed", Failed => "failed" }
}
string_enum! {
    /// What an export contains (`export_jobs.export_type`).
    ExportType as "export type" { Events => "events", Alerts => "alerts", FullBackup => "full_backup" }
}
string_enum! {
    /// File format of an export (`export_jobs.export_format`).
    ExportFormat as "export format" { Csv => "csv", Json => "json", Zip => "zip", Excel => "excel" }
}
string_enum! {
    /// Backup job state (`backup_job_status`).
    BackupJobStatus as "backup job status" { Pending => "pending", Running => "running", Completed => "completed", Failed => "failed" }
}
string_enum! {
    /// Restore job state (`restore_job_status`): pending -> validating -> restoring -> completed, or failed.
    RestoreJobStatus as "restore job status" { Pending => "pending", Validating => "validating", Restoring => "restoring", Completed => "completed", Failed => "failed" }
}
string_enum! {
    /// Sound played for a notification (`notification_preferences.sound`).
    NotificationSound as "notification sound" { None => "none", Default => "default", Alert => "alert", Chime => "chime", Urgent => "urgent" }
}
string_enum! {
    /// Day of the week, as stored in quiet hours and schedules.
    DayOfWeek as "day of week" { Monday => "monday", Tuesday => "tuesday", Wednesday => "wednesday", Thursday => "thursday", Friday => "friday", Saturday => "saturday", Sunday => "sunday" }
}
string_enum! {
    /// Security-relevant action recorded in `audit_logs.action`.
    AuditAction as "audit action" {
        EventReviewed => "event_reviewed", EventDismissed => "event_dismissed", SettingsChanged => "settings_changed",
        MediaExported => "media_exported", RuleCreated => "rule_created", RuleUpdated => "rule_updated", RuleDeleted => "rule_deleted",
        CameraCreated => "camera_created", CameraUpdated => "camera_updated", CameraDeleted => "camera_deleted",
        Login => "login", Logout => "logout", ApiKeyCreated => "api_key_created", ApiKeyRevoked => "api_key_revoked",
        NotificationTest => "notification_test", DataCleared => "data_cleared",
    }
}
string_enum! {
    /// Whether an audited action succeeded (`audit_logs.status`).
    AuditStatus as "audit status" { Success => "success", Failure => "failure" }
}
string_enum! {
    /// Level of an application log row (`logs.level`).
    LogLevel as "log level" { Debug => "DEBUG", Info => "INFO", Warning => "WARNING", Error => "ERROR", Critical => "CRITICAL" }
}
string_enum! {
    /// Where an application log row came from (`logs.source`).
    LogSource as "log source" { Backend => "backend", Frontend => "frontend" }
}
string_enum! {
    /// Kind of media a detection was found in (`detections.media_type`).
    MediaType as "media type" { Image => "image", Video => "video" }
}
string_enum! {
    /// Weapon class of a threat detection (`threat_detections.threat_type`).
    ThreatType as "threat type" { Gun => "gun", Knife => "knife", Grenade => "grenade", Explosive => "explosive", Weapon => "weapon" }
}
string_enum! {
    /// Estimated gender of a demographics result (`demographics_results.gender`).
    Gender as "gender" { Male => "male", Female => "female", Unknown => "unknown" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_member_round_trips_through_its_string() {
        fn check<
            T: FromStr<Err = UnknownVariant> + fmt::Display + PartialEq + fmt::Debug + Copy,
        >(
            all: &[T],
        ) {
            for member in all {
                assert_eq!(member.to_string().parse::<T>().as_ref(), Ok(member));
            }
        }
        check(CameraStatus::ALL);
        check(AlertStatus::ALL);
        check(ZoneType::ALL);
        check(ZoneShape::ALL);
        check(SceneChangeType::ALL);
        check(AiModel::ALL);
        check(FeedbackType::ALL);
        check(JobStatus::ALL);
        check(RestoreJobStatus::ALL);
        check(AuditAction::ALL);
        check(LogLevel::ALL);
    }

    #[test]
    fn unknown_values_name_the_kind_and_the_choices() {
        let err = "paused".parse::<CameraStatus>().expect_err("not a status");
        assert_eq!(
            err.to_string(),
            "unknown camera status \"paused\" (expected one of: online, offline, error, unknown)"
        );
    }

    #[test]
    fn serde_uses_the_database_strings() {
        assert_eq!(
            serde_json::to_string(&ZoneType::EntryPoint).expect("serialises"),
            "\"entry_point\""
        );
        assert_eq!(
            serde_json::from_str::<LogLevel>("\"WARNING\"").expect("parses"),
            LogLevel::Warning
        );
    }
}
