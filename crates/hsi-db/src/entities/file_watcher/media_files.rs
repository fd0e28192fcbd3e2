//! `media_files`: the file ledger, one row per version of a file the watcher looked at.

// DeriveEntityModel expands an active-enum field to `std::convert::Into::<..>::into(..)`
// spanned at the field, which the workspace's `unused_qualifications` lint flags.
#![allow(unused_qualifications)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::enums::MediaFileState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "media_files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub camera_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub path: String,
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub path_bytes: Vec<u8>,
    pub size_bytes: i64,
    pub modified_at: Option<DateTimeUtc>,
    pub sha256: Option<String>,
    pub media_kind: Option<String>,
    pub file_type: Option<String>,
    pub state: MediaFileState,
    pub refusal_reason: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub refusal_detail: Option<String>,
    pub duplicate_of: Option<i64>,
    pub message_id: Option<String>,
    pub observed_at: DateTimeUtc,
    pub enqueued_at: Option<DateTimeUtc>,
    pub stream_entry: Option<String>,
    pub enqueue_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
