//! The PostgreSQL enum types of the migrations as SeaORM active enums, each convertible
//! to and from its domain enum in `hsi_core`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How serious an alert or alert rule is (`alert_severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "alert_severity")]
pub enum AlertSeverity {
    #[sea_orm(string_value = "low")]
    #[serde(rename = "low")]
    Low,
    #[sea_orm(string_value = "medium")]
    #[serde(rename = "medium")]
    Medium,
    #[sea_orm(string_value = "high")]
    #[serde(rename = "high")]
    High,
    #[sea_orm(string_value = "critical")]
    #[serde(rename = "critical")]
    Critical,
}

impl From<AlertSeverity> for hsi_core::Severity {
    fn from(value: AlertSeverity) -> Self {
        match value {
            AlertSeverity::Low => hsi_core::Severity::Low,
            AlertSeverity::Medium => hsi_core::Severity::Medium,
            AlertSeverity::High => hsi_core::Severity::High,
            AlertSeverity::Critical => hsi_core::Severity::Critical,
        }
    }
}

impl From<hsi_core::Severity> for AlertSeverity {
    fn from(value: hsi_core::Severity) -> Self {
        match value {
            hsi_core::Severity::Low => AlertSeverity::Low,
            hsi_core::Severity::Medium => AlertSeverity::Medium,
            hsi_core::Severity::High => AlertSeverity::High,
            hsi_core::Severity::Critical => AlertSeverity::Critical,
        }
    }
}

/// Lifecycle of an alert (`alert_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "alert_status")]
pub enum AlertStatus {
    #[sea_orm(string_value = "pending")]
    #[serde(rename = "pending")]
    Pending,
    #[sea_orm(string_value = "delivered")]
    #[serde(rename = "delivered")]
    Delivered,
    #[sea_orm(string_value = "acknowledged")]
    #[serde(rename = "acknowledged")]
    Acknowledged,
    #[sea_orm(string_value = "dismissed")]
    #[serde(rename = "dismissed")]
    Dismissed,
}

impl From<AlertStatus> for hsi_core::enums::AlertStatus {
    fn from(value: AlertStatus) -> Self {
        match value {
            AlertStatus::Pending => hsi_core::enums::AlertStatus::Pending,
            AlertStatus::Delivered => hsi_core::enums::AlertStatus::Delivered,
            AlertStatus::Acknowledged => hsi_core::enums::AlertStatus::Acknowledged,
            AlertStatus::Dismissed => hsi_core::enums::AlertStatus::Dismissed,
        }
    }
}

impl From<hsi_core::enums::AlertStatus> for AlertStatus {
    fn from(value: hsi_core::enums::AlertStatus) -> Self {
        match value {
            hsi_core::enums::AlertStatus::Pending => AlertStatus::Pending,
            hsi_core::enums::AlertStatus::Delivered => AlertStatus::Delivered,
            hsi_core::enums::AlertStatus::Acknowledged => AlertStatus::Acknowledged,
            hsi_core::enums::AlertStatus::Dismissed => AlertStatus::Dismissed,
        }
    }
}

/// What a camera zone covers (`camera_zone_type_enum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = "camera_zone_type_enum"
)]
pub enum CameraZoneType {
    #[sea_orm(string_value = "entry_point")]
    #[serde(rename = "entry_point")]
    EntryPoint,
    #[sea_orm(string_value = "driveway")]
    #[serde(rename = "driveway")]
    Driveway,
    #[sea_orm(string_value = "sidewalk")]
    #[serde(rename = "sidewalk")]
    Sidewalk,
    #[sea_orm(string_value = "yard")]
    #[serde(rename = "yard")]
    Yard,
    #[sea_orm(string_value = "other")]
    #[serde(rename = "other")]
    Other,
}

impl From<CameraZoneType> for hsi_core::enums::ZoneType {
    fn from(value: CameraZoneType) -> Self {
        match value {
            CameraZoneType::EntryPoint => hsi_core::enums::ZoneType::EntryPoint,
            CameraZoneType::Driveway => hsi_core::enums::ZoneType::Driveway,
            CameraZoneType::Sidewalk => hsi_core::enums::ZoneType::Sidewalk,
            CameraZoneType::Yard => hsi_core::enums::ZoneType::Yard,
            CameraZoneType::Other => hsi_core::enums::ZoneType::Other,
        }
    }
}

impl From<hsi_core::enums::ZoneType> for CameraZoneType {
    fn from(value: hsi_core::enums::ZoneType) -> Self {
        match value {
            hsi_core::enums::ZoneType::EntryPoint => CameraZoneType::EntryPoint,
            hsi_core::enums::ZoneType::Driveway => CameraZoneType::Driveway,
            hsi_core::enums::ZoneType::Sidewalk => CameraZoneType::Sidewalk,
            hsi_core::enums::ZoneType::Yard => CameraZoneType::Yard,
            hsi_core::enums::ZoneType::Other => CameraZoneType::Other,
        }
    }
}

/// How a camera zone's coordinates are read (`camera_zone_shape_enum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = "camera_zone_shape_enum"
)]
pub enum CameraZoneShape {
    #[sea_orm(string_value = "rectangle")]
    #[serde(rename = "rectangle")]
    Rectangle,
    #[sea_orm(string_value = "polygon")]
    #[serde(rename = "polygon")]
    Polygon,
}

impl From<CameraZoneShape> for hsi_core::enums::ZoneShape {
    fn from(value: CameraZoneShape) -> Self {
        match value {
            CameraZoneShape::Rectangle => hsi_core::enums::ZoneShape::Rectangle,
            CameraZoneShape::Polygon => hsi_core::enums::ZoneShape::Polygon,
        }
    }
}

impl From<hsi_core::enums::ZoneShape> for CameraZoneShape {
    fn from(value: hsi_core::enums::ZoneShape) -> Self {
        match value {
            hsi_core::enums::ZoneShape::Rectangle => CameraZoneShape::Rectangle,
            hsi_core::enums::ZoneShape::Polygon => CameraZoneShape::Polygon,
        }
    }
}

/// Kind of camera view change (`scene_change_type_enum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(
    rs_type = "String",
    db_type = "Enum",
    enum_name = "scene_change_type_enum"
)]
pub enum SceneChangeType {
    #[sea_orm(string_value = "view_blocked")]
    #[serde(rename = "view_blocked")]
    ViewBlocked,
    #[sea_orm(string_value = "angle_changed")]
    #[serde(rename = "angle_changed")]
    AngleChanged,
    #[sea_orm(string_value = "view_tampered")]
    #[serde(rename = "view_tampered")]
    ViewTampered,
    #[sea_orm(string_value = "unknown")]
    #[serde(rename = "unknown")]
    Unknown,
}

impl From<SceneChangeType> for hsi_core::enums::SceneChangeType {
    fn from(value: SceneChangeType) -> Self {
        match value {
            SceneChangeType::ViewBlocked => hsi_core::enums::SceneChangeType::ViewBlocked,
            SceneChangeType::AngleChanged => hsi_core::enums::SceneChangeType::AngleChanged,
            SceneChangeType::ViewTampered => hsi_core::enums::SceneChangeType::ViewTampered,
            SceneChangeType::Unknown => hsi_core::enums::SceneChangeType::Unknown,
        }
    }
}

impl From<hsi_core::enums::SceneChangeType> for SceneChangeType {
    fn from(value: hsi_core::enums::SceneChangeType) -> Self {
        match value {
            hsi_core::enums::SceneChangeType::ViewBlocked => SceneChangeType::ViewBlocked,
            hsi_core::enums::SceneChangeType::AngleChanged => SceneChangeType::AngleChanged,
            hsi_core::enums::SceneChangeType::ViewTampered => SceneChangeType::ViewTampered,
            hsi_core::enums::SceneChangeType::Unknown => SceneChangeType::Unknown,
        }
    }
}

/// AI model a prompt version belongs to (`ai_model_enum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "ai_model_enum")]
pub enum AiModel {
    #[sea_orm(string_value = "nemotron")]
    #[serde(rename = "nemotron")]
    Nemotron,
    #[sea_orm(string_value = "florence2")]
    #[serde(rename = "florence2")]
    Florence2,
    #[sea_orm(string_value = "yolo_world")]
    #[serde(rename = "yolo_world")]
    YoloWorld,
    #[sea_orm(string_value = "xclip")]
    #[serde(rename = "xclip")]
    Xclip,
    #[sea_orm(string_value = "fashion_clip")]
    #[serde(rename = "fashion_clip")]
    FashionClip,
}

impl From<AiModel> for hsi_core::enums::AiModel {
    fn from(value: AiModel) -> Self {
        match value {
            AiModel::Nemotron => hsi_core::enums::AiModel::Nemotron,
            AiModel::Florence2 => hsi_core::enums::AiModel::Florence2,
            AiModel::YoloWorld => hsi_core::enums::AiModel::YoloWorld,
            AiModel::Xclip => hsi_core::enums::AiModel::Xclip,
            AiModel::FashionClip => hsi_core::enums::AiModel::FashionClip,
        }
    }
}

impl From<hsi_core::enums::AiModel> for AiModel {
    fn from(value: hsi_core::enums::AiModel) -> Self {
        match value {
            hsi_core::enums::AiModel::Nemotron => AiModel::Nemotron,
            hsi_core::enums::AiModel::Florence2 => AiModel::Florence2,
            hsi_core::enums::AiModel::YoloWorld => AiModel::YoloWorld,
            hsi_core::enums::AiModel::Xclip => AiModel::Xclip,
            hsi_core::enums::AiModel::FashionClip => AiModel::FashionClip,
        }
    }
}

/// Export job state (`export_job_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "export_job_status")]
pub enum ExportJobStatus {
    #[sea_orm(string_value = "pending")]
    #[serde(rename = "pending")]
    Pending,
    #[sea_orm(string_value = "running")]
    #[serde(rename = "running")]
    Running,
    #[sea_orm(string_value = "completed")]
    #[serde(rename = "completed")]
    Completed,
    #[sea_orm(string_value = "failed")]
    #[serde(rename = "failed")]
    Failed,
}

impl From<ExportJobStatus> for hsi_core::enums::ExportJobStatus {
    fn from(value: ExportJobStatus) -> Self {
        match value {
            ExportJobStatus::Pending => hsi_core::enums::ExportJobStatus::Pending,
            ExportJobStatus::Running => hsi_core::enums::ExportJobStatus::Running,
            ExportJobStatus::Completed => hsi_core::enums::ExportJobStatus::Completed,
            ExportJobStatus::Failed => hsi_core::enums::ExportJobStatus::Failed,
        }
    }
}

impl From<hsi_core::enums::ExportJobStatus> for ExportJobStatus {
    fn from(value: hsi_core::enums::ExportJobStatus) -> Self {
        match value {
            hsi_core::enums::ExportJobStatus::Pending => ExportJobStatus::Pending,
            hsi_core::enums::ExportJobStatus::Running => ExportJobStatus::Running,
            hsi_core::enums::ExportJobStatus::Completed => ExportJobStatus::Completed,
            hsi_core::enums::ExportJobStatus::Failed => ExportJobStatus::Failed,
        }
    }
}

/// Backup job state (`backup_job_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "backup_job_status")]
pub enum BackupJobStatus {
    #[sea_orm(string_value = "pending")]
    #[serde(rename = "pending")]
    Pending,
    #[sea_orm(string_value = "running")]
    #[serde(rename = "running")]
    Running,
    #[sea_orm(string_value = "completed")]
    #[serde(rename = "completed")]
    Completed,
    #[sea_orm(string_value = "failed")]
    #[serde(rename = "failed")]
    Failed,
}

impl From<BackupJobStatus> for hsi_core::enums::BackupJobStatus {
    fn from(value: BackupJobStatus) -> Self {
        match value {
            BackupJobStatus::Pending => hsi_core::enums::BackupJobStatus::Pending,
            BackupJobStatus::Running => hsi_core::enums::BackupJobStatus::Running,
            BackupJobStatus::Completed => hsi_core::enums::BackupJobStatus::Completed,
            BackupJobStatus::Failed => hsi_core::enums::BackupJobStatus::Failed,
        }
    }
}

impl From<hsi_core::enums::BackupJobStatus> for BackupJobStatus {
    fn from(value: hsi_core::enums::BackupJobStatus) -> Self {
        match value {
            hsi_core::enums::BackupJobStatus::Pending => BackupJobStatus::Pending,
            hsi_core::enums::BackupJobStatus::Running => BackupJobStatus::Running,
            hsi_core::enums::BackupJobStatus::Completed => BackupJobStatus::Completed,
            hsi_core::enums::BackupJobStatus::Failed => BackupJobStatus::Failed,
        }
    }
}

/// Restore job state (`restore_job_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "restore_job_status")]
pub enum RestoreJobStatus {
    #[sea_orm(string_value = "pending")]
    #[serde(rename = "pending")]
    Pending,
    #[sea_orm(string_value = "validating")]
    #[serde(rename = "validating")]
    Validating,
    #[sea_orm(string_value = "restoring")]
    #[serde(rename = "restoring")]
    Restoring,
    #[sea_orm(string_value = "completed")]
    #[serde(rename = "completed")]
    Completed,
    #[sea_orm(string_value = "failed")]
    #[serde(rename = "failed")]
    Failed,
}

impl From<RestoreJobStatus> for hsi_core::enums::RestoreJobStatus {
    fn from(value: RestoreJobStatus) -> Self {
        match value {
            RestoreJobStatus::Pending => hsi_core::enums::RestoreJobStatus::Pending,
            RestoreJobStatus::Validating => hsi_core::enums::RestoreJobStatus::Validating,
            RestoreJobStatus::Restoring => hsi_core::enums::RestoreJobStatus::Restoring,
            RestoreJobStatus::Completed => hsi_core::enums::RestoreJobStatus::Completed,
            RestoreJobStatus::Failed => hsi_core::enums::RestoreJobStatus::Failed,
        }
    }
}

impl From<hsi_core::enums::RestoreJobStatus> for RestoreJobStatus {
    fn from(value: hsi_core::enums::RestoreJobStatus) -> Self {
        match value {
            hsi_core::enums::RestoreJobStatus::Pending => RestoreJobStatus::Pending,
            hsi_core::enums::RestoreJobStatus::Validating => RestoreJobStatus::Validating,
            hsi_core::enums::RestoreJobStatus::Restoring => RestoreJobStatus::Restoring,
            hsi_core::enums::RestoreJobStatus::Completed => RestoreJobStatus::Completed,
            hsi_core::enums::RestoreJobStatus::Failed => RestoreJobStatus::Failed,
        }
    }
}

/// What the file-watcher decided about a file (`media_file_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "media_file_state")]
pub enum MediaFileState {
    /// Enqueued for detection (the detection worker's `processed_files` says when done).
    #[sea_orm(string_value = "accepted")]
    #[serde(rename = "accepted")]
    Accepted,
    /// Not enqueued; `refusal_reason` says why.
    #[sea_orm(string_value = "refused")]
    #[serde(rename = "refused")]
    Refused,
    /// The same content was already accepted for this camera (`duplicate_of`).
    #[sea_orm(string_value = "duplicate")]
    #[serde(rename = "duplicate")]
    Duplicate,
    /// Enqueued too often without being processed; given up, with its reason.
    #[sea_orm(string_value = "abandoned")]
    #[serde(rename = "abandoned")]
    Abandoned,
}
