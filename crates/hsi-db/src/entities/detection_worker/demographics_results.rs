//! `demographics_results`: age and gender estimated for a person detection.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "demographics_results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub detection_id: i32,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub age_range: Option<String>,
    pub age_confidence: Option<f64>,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub gender: Option<String>,
    pub gender_confidence: Option<f64>,
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
