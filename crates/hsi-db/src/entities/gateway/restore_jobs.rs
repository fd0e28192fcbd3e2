//! `restore_jobs`: database restore jobs.

// DeriveEntityModel expands an active-enum field to `std::convert::Into::<..>::into(..)`
// spanned at the field, which the workspace's `unused_qualifications` lint flags.
#![allow(unused_qualifications)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::enums::RestoreJobStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "restore_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub status: RestoreJobStatus,
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub backup_id: Option<String>,
    pub backup_created_at: Option<DateTimeUtc>,
    pub total_tables: i32,
    pub completed_tables: i32,
    pub progress_percent: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub current_step: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary")]
    pub items_restored: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
