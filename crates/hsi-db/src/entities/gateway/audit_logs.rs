//! `audit_logs`: append-only trail of security-relevant actions.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub timestamp: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub action: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub resource_type: String,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub resource_id: Option<String>,
    #[sea_orm(column_type = "String(StringLen::N(100))")]
    pub actor: String,
    #[sea_orm(column_type = "String(StringLen::N(45))")]
    pub ip_address: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub user_agent: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub details: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
