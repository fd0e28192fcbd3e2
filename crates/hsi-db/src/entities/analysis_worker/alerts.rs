//! `alerts`: alerts raised for events by alert rules.

// DeriveEntityModel expands an active-enum field to `std::convert::Into::<..>::into(..)`
// spanned at the field, which the workspace's `unused_qualifications` lint flags.
#![allow(unused_qualifications)]

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entities::enums::{AlertSeverity, AlertStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub event_id: i32,
    pub rule_id: Option<Uuid>,
    pub severity: AlertSeverity,
    pub status: AlertStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Json")]
    pub channels: Option<Json>,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub dedup_key: String,
    #[sea_orm(column_type = "Json")]
    pub metadata: Option<Json>,
    pub version_id: i32,
    /// The delivery outbox: `none` (no channels), `pending`, `retrying`, `delivered`, `failed`.
    pub delivery_state: String,
    pub delivery_attempts: i32,
    /// When the next delivery attempt is due (also the lease of one in progress).
    pub next_attempt_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// 1 when raised; each revision (a fast-path alert upgraded, downgraded or
    /// withdrawn by the judgement) adds one and is delivered again under the same id.
    pub revision: i32,
    pub revised_at: Option<DateTimeUtc>,
    /// Set when the judgement withdrew a fast-path alert.
    pub withdrawn_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "crate::entities::events::Entity",
        from = "Column::EventId",
        to = "crate::entities::events::Column::Id",
        on_update = "NoAction",
        on_delete = "Cascade"
    )]
    Events,
    #[sea_orm(
        belongs_to = "crate::entities::alert_rules::Entity",
        from = "Column::RuleId",
        to = "crate::entities::alert_rules::Column::Id",
        on_update = "NoAction",
        on_delete = "SetNull"
    )]
    AlertRules,
}

impl Related<crate::entities::events::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Events.def()
    }
}

impl Related<crate::entities::alert_rules::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AlertRules.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
