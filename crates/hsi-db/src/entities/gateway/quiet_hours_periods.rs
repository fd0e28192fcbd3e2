//! `quiet_hours_periods`: periods during which notifications are held back.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "quiet_hours_periods")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub label: String,
    pub start_time: Time,
    pub end_time: Time,
    #[sea_orm(column_type = "Array(RcOrArc::new(ColumnType::String(StringLen::N(10))))")]
    pub days: Vec<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
