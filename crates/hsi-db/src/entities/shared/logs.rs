//! `logs`: application log rows from every service and the frontend.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub timestamp: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub level: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub component: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub camera_id: Option<String>,
    pub event_id: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(36))")]
    pub request_id: Option<String>,
    pub detection_id: Option<i32>,
    pub duration_ms: Option<i32>,
    #[sea_orm(column_type = "JsonBinary")]
    pub extra: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(10))")]
    pub source: String,
    #[sea_orm(column_type = "Text")]
    pub user_agent: Option<String>,
    // `search_vector` (tsvector) is deliberately not mapped: SeaORM has no tsvector type,
    // and the trigger `trg_logs_search_vector` (migration 000007) fills it on every insert
    // and update, so inserts through this entity simply leave it out.
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
