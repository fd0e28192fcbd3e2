//! `user_calibration`: per-user risk thresholds learned from feedback.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "user_calibration")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique, column_type = "String(StringLen::N(255))")]
    pub user_id: String,
    pub low_threshold: i32,
    pub medium_threshold: i32,
    pub high_threshold: i32,
    pub decay_factor: f64,
    pub correct_count: i32,
    pub false_positive_count: i32,
    pub missed_threat_count: i32,
    pub severity_wrong_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
