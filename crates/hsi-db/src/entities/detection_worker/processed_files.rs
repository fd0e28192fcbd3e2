//! `processed_files`: files the detection worker finished, with what came of each, written
//! in the same transaction as their detections.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "processed_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub message_id: String,
    pub media_file_id: Option<i64>,
    /// `detected` (with `detection_count` objects, perhaps none) or `failed`.
    pub outcome: String,
    pub detection_count: i32,
    pub frame_count: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub attempts: i32,
    pub processed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::media_files::Entity",
        from = "Column::MediaFileId",
        to = "crate::entities::media_files::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    MediaFiles,
}

impl Related<crate::entities::media_files::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MediaFiles.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
