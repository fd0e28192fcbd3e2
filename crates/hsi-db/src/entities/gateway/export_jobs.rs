//! `export_jobs`: data export jobs and their output.

// DeriveEntityModel expands an active-enum field to `std::convert::Into::<..>::into(..)`
// spanned at the field, which the workspace's `unused_qualifications` lint flags.
#![allow(unused_qualifications)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::enums::ExportJobStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "export_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub status: ExportJobStatus,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub export_type: String,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub export_format: String,
    pub total_items: Option<i32>,
    pub processed_items: i32,
    pub progress_percent: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub current_step: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub estimated_completion: Option<DateTimeUtc>,
    #[sea_orm(column_type = "String(StringLen::N(512))")]
    pub output_path: Option<String>,
    pub output_size_bytes: Option<i32>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub filter_params: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    pub download_count: i32,
    pub last_downloaded_at: Option<DateTimeUtc>,
    pub sensitivity_acknowledged: bool,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub retention_days: Option<i32>,
    pub legal_hold: bool,
    #[sea_orm(column_type = "JsonBinary")]
    pub compliance_metadata: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
