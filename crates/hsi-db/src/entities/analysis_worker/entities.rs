//! `entities`: people, vehicles and other things re-identified across detections.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "entities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub entity_type: String,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub trust_status: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub embedding_vector: Option<Json>,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub detection_count: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub entity_metadata: Option<Json>,
    pub primary_detection_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::detections::Entity",
        from = "Column::PrimaryDetectionId",
        to = "crate::entities::detections::Column::Id",
        on_update = "NoAction",
        on_delete = "SetNull"
    )]
    Detections,
}

impl Related<crate::entities::detections::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Detections.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
