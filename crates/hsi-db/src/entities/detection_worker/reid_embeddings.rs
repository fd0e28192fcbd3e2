//! `reid_embeddings`: the re-identification embedding of a detection.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "reid_embeddings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub detection_id: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub embedding: Json,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub embedding_hash: Option<String>,
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
