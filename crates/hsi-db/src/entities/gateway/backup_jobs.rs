//! `backup_jobs`: database backup jobs.

// DeriveEntityModel expands an active-enum field to `std::convert::Into::<..>::into(..)`
// spanned at the field, which the workspace's `unused_qualifications` lint flags.
#![allow(unused_qualifications)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::enums::BackupJobStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "backup_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub status: BackupJobStatus,
    pub total_tables: i32,
    pub completed_tables: i32,
    pub progress_percent: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub current_step: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "String(StringLen::N(512))")]
    pub file_path: Option<String>,
    pub file_size_bytes: Option<i32>,
    #[sea_orm(column_type = "JsonBinary")]
    pub manifest_json: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
