//! `events`: analysed groups of detections with a risk assessment.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique, column_type = "String(StringLen::N(64))")]
    pub batch_id: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub camera_id: String,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub risk_score: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub risk_level: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub summary: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub reasoning: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub detection_ids: Option<String>,
    pub reviewed: bool,
    #[sea_orm(column_type = "Text")]
    pub notes: Option<String>,
    pub is_fast_path: bool,
    #[sea_orm(column_type = "Text")]
    pub object_types: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(1024))")]
    pub clip_path: Option<String>,
    // `search_vector` (tsvector) is deliberately not mapped: SeaORM has no tsvector type,
    // and the trigger `trg_events_search_vector` (migration 000007) fills it on every insert
    // and update, so inserts through this entity simply leave it out.
    pub deleted_at: Option<DateTimeUtc>,
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
    #[sea_orm(has_many = "crate::entities::event_detections::Entity")]
    EventDetections,
    #[sea_orm(has_one = "crate::entities::event_audits::Entity")]
    EventAudits,
    #[sea_orm(has_one = "crate::entities::event_feedback::Entity")]
    EventFeedback,
    #[sea_orm(has_many = "crate::entities::alerts::Entity")]
    Alerts,
}

impl Related<crate::entities::cameras::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Cameras.def()
    }
}

impl Related<crate::entities::event_detections::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventDetections.def()
    }
}

impl Related<crate::entities::event_audits::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventAudits.def()
    }
}

impl Related<crate::entities::event_feedback::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventFeedback.def()
    }
}

impl Related<crate::entities::alerts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Alerts.def()
    }
}

/// Events reach their detections through `event_detections`.
impl Related<crate::entities::detections::Entity> for Entity {
    fn to() -> RelationDef {
        crate::entities::event_detections::Relation::Detections.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            crate::entities::event_detections::Relation::Events
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
