//! `detections`: objects found in an image or video frame by the detector.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "detections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub camera_id: String,
    #[sea_orm(column_type = "String(StringLen::N(1024))")]
    pub file_path: String,
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub file_type: Option<String>,
    pub detected_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub object_type: Option<String>,
    pub confidence: Option<f64>,
    pub bbox_x: Option<i32>,
    pub bbox_y: Option<i32>,
    pub bbox_width: Option<i32>,
    pub bbox_height: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(1024))")]
    pub thumbnail_path: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub media_type: Option<String>,
    pub duration: Option<f64>,
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub video_codec: Option<String>,
    pub video_width: Option<i32>,
    pub video_height: Option<i32>,
    #[sea_orm(column_type = "JsonBinary")]
    pub enrichment_data: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub source_message_id: Option<String>,
    pub frame_index: i32,
    pub object_index: i32,
    pub frame_offset: Option<f64>,
    pub frame_width: Option<i32>,
    pub frame_height: Option<i32>,
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
    #[sea_orm(has_many = "crate::entities::entity_records::Entity")]
    EntityRecords,
    #[sea_orm(has_one = "crate::entities::pose_results::Entity")]
    PoseResults,
    #[sea_orm(has_many = "crate::entities::threat_detections::Entity")]
    ThreatDetections,
    #[sea_orm(has_one = "crate::entities::demographics_results::Entity")]
    DemographicsResults,
    #[sea_orm(has_one = "crate::entities::reid_embeddings::Entity")]
    ReidEmbeddings,
    #[sea_orm(has_one = "crate::entities::action_results::Entity")]
    ActionResults,
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

impl Related<crate::entities::entity_records::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EntityRecords.def()
    }
}

impl Related<crate::entities::pose_results::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PoseResults.def()
    }
}

impl Related<crate::entities::threat_detections::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ThreatDetections.def()
    }
}

impl Related<crate::entities::demographics_results::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DemographicsResults.def()
    }
}

impl Related<crate::entities::reid_embeddings::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReidEmbeddings.def()
    }
}

impl Related<crate::entities::action_results::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ActionResults.def()
    }
}

/// Detections reach their events through `event_detections`.
impl Related<crate::entities::events::Entity> for Entity {
    fn to() -> RelationDef {
        crate::entities::event_detections::Relation::Events.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            crate::entities::event_detections::Relation::Detections
                .def()
                .rev(),
        )
    }
}

impl ActiveModelBehavior for ActiveModel {}
