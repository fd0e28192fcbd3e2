//! `alert_deliveries`: one row per delivery attempt of an alert per channel.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "alert_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub alert_id: Uuid,
    /// The alert's delivery attempt, 1-based.
    pub attempt: i32,
    /// Position of the channel in `alerts.channels`.
    pub channel_index: i32,
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub channel_type: String,
    /// Where it went, without credentials, query or fragment.
    #[sea_orm(column_type = "String(StringLen::N(2048))")]
    pub target: String,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    /// `delivered`, `retrying` or `failed`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub outcome: String,
    /// HTTP requests made in this attempt.
    pub requests: i32,
    pub http_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::alerts::Entity",
        from = "Column::AlertId",
        to = "crate::entities::alerts::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Alerts,
}

impl Related<crate::entities::alerts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Alerts.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
