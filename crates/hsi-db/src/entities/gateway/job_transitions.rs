//! `job_transitions`: state changes of background jobs.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "job_transitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(36))")]
    pub job_id: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub from_status: String,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub to_status: String,
    pub transitioned_at: DateTimeUtc,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub triggered_by: String,
    #[sea_orm(column_type = "Text")]
    pub metadata_json: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
