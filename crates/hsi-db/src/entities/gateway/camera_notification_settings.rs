//! `camera_notification_settings`: per-camera notification overrides.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "camera_notification_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique, column_type = "String(StringLen::N(100))")]
    pub camera_id: String,
    pub enabled: bool,
    pub risk_threshold: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::cameras::Entity",
        from = "Column::CameraId",
        to = "crate::entities::cameras::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Cameras,
}

impl Related<crate::entities::cameras::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cameras.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
