//! `cameras`: one camera per watched folder.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cameras")]
pub struct Model {
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(100))"
    )]
    pub id: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "String(StringLen::N(1024))")]
    pub folder_path: String,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub status: String,
    pub created_at: DateTimeUtc,
    pub last_seen_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "crate::entities::detections::Entity")]
    Detections,
    #[sea_orm(has_many = "crate::entities::events::Entity")]
    Events,
    #[sea_orm(has_many = "crate::entities::camera_zones::Entity")]
    CameraZones,
    #[sea_orm(has_many = "crate::entities::activity_baselines::Entity")]
    ActivityBaselines,
    #[sea_orm(has_many = "crate::entities::class_baselines::Entity")]
    ClassBaselines,
    #[sea_orm(has_many = "crate::entities::scene_changes::Entity")]
    SceneChanges,
    #[sea_orm(has_one = "crate::entities::camera_notification_settings::Entity")]
    CameraNotificationSettings,
}

impl Related<crate::entities::detections::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Detections.def()
    }
}

impl Related<crate::entities::events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Events.def()
    }
}

impl Related<crate::entities::camera_zones::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CameraZones.def()
    }
}

impl Related<crate::entities::activity_baselines::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ActivityBaselines.def()
    }
}

impl Related<crate::entities::class_baselines::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ClassBaselines.def()
    }
}

impl Related<crate::entities::scene_changes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SceneChanges.def()
    }
}

impl Related<crate::entities::camera_notification_settings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CameraNotificationSettings.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
