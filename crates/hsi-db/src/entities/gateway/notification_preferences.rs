//! `notification_preferences`: the single row of global notification settings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "notification_preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub enabled: bool,
    #[sea_orm(column_type = "String(StringLen::N(20))")]
    pub sound: String,
    #[sea_orm(column_type = "Array(RcOrArc::new(ColumnType::String(StringLen::N(20))))")]
    pub risk_filters: Vec<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
