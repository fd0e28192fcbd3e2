//! `action_results`: the action recognised for a detection.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "action_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub detection_id: i32,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub action: String,
    pub confidence: Option<f64>,
    pub is_suspicious: bool,
    #[sea_orm(column_type = "JsonBinary")]
    pub all_scores: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::detections::Entity",
        from = "Column::DetectionId",
        to = "crate::entities::detections::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Detections,
}

impl Related<crate::entities::detections::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Detections.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
