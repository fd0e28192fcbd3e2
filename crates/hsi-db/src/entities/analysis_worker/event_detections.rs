//! `event_detections`: which detections make up each event.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "event_detections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub detection_id: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::events::Entity",
        from = "Column::EventId",
        to = "crate::entities::events::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Events,
    #[sea_orm(
        belongs_to = "crate::entities::detections::Entity",
        from = "Column::DetectionId",
        to = "crate::entities::detections::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Detections,
}

impl Related<crate::entities::events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Events.def()
    }
}

impl Related<crate::entities::detections::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Detections.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
