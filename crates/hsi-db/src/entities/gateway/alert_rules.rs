//! `alert_rules`: user-defined rules that turn events into alerts.

// DeriveEntityModel expands an active-enum field to `std::convert::Into::<..>::into(..)`
// spanned at the field, which the workspace's `unused_qualifications` lint flags.
#![allow(unused_qualifications)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::enums::AlertSeverity;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "alert_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    pub enabled: bool,
    pub severity: AlertSeverity,
    pub risk_threshold: Option<i32>,
    #[sea_orm(column_type = "Json")]
    pub object_types: Option<Json>,
    #[sea_orm(column_type = "Json")]
    pub camera_ids: Option<Json>,
    #[sea_orm(column_type = "Json")]
    pub zone_ids: Option<Json>,
    pub min_confidence: Option<f64>,
    #[sea_orm(column_type = "Json")]
    pub schedule: Option<Json>,
    #[sea_orm(column_type = "Json")]
    pub conditions: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub dedup_key_template: String,
    pub cooldown_seconds: i32,
    #[sea_orm(column_type = "Json")]
    pub channels: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Fire at once on a fast-path detection, before the LLM's judgement; the alert is
    /// then revised (upgraded, downgraded or withdrawn) when the judgement arrives.
    pub fire_on_fast_path: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "crate::entities::alerts::Entity")]
    Alerts,
}

impl Related<crate::entities::alerts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Alerts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
