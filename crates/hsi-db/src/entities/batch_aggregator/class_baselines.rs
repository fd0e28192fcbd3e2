//! `class_baselines`: learned frequency of each object class per camera and hour.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "class_baselines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub camera_id: String,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub detection_class: String,
    pub hour: i32,
    pub frequency: f64,
    pub sample_count: i32,
    pub last_updated: DateTimeUtc,
    pub frequency_variance: f64,
    pub last_bucket_at: Option<DateTimeUtc>,
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
