//! The engine's reads and writes in PostgreSQL: rules in, alerts out.

use crate::error::AlertError;
use crate::template::fnv1a;
use chrono::{DateTime, Utc};
use hsi_db::entities::enums::AlertStatus;
use hsi_db::entities::{alert_rules, alerts};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use serde_json::Value;
use uuid::Uuid;

/// Every enabled rule, in a stable order (name, then id).
pub(crate) async fn load_enabled_rules(
    db: &DatabaseConnection,
) -> Result<Vec<alert_rules::Model>, AlertError> {
    alert_rules::Entity::find()
        .filter(alert_rules::Column::Enabled.eq(true))
        .order_by_asc(alert_rules::Column::Name)
        .order_by_asc(alert_rules::Column::Id)
        .all(db)
        .await
        .map_err(AlertError::db("loading alert rules"))
}

/// Serialises everyone deciding about the same (event, rule) until the transaction
/// ends, so that "is there an alert already? if not, insert one" cannot race between
/// replicas (`alerts` has no unique key on the pair).
pub(crate) async fn lock_event_rule(
    txn: &impl ConnectionTrait,
    event_id: i32,
    rule_id: Uuid,
) -> Result<(), AlertError> {
    let key = fnv1a(format!("hsi-alert:{event_id}:{rule_id}").as_bytes());
    // Reinterpreting the hash's bits as a signed key is the point, not an overflow.
    let key = i64::from_ne_bytes(key.to_ne_bytes());
    txn.query_one(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)::text",
        [key.into()],
    ))
    .await
    .map_err(AlertError::db("locking the event and rule"))?;
    Ok(())
}

/// Whether this rule already raised an alert for this event (a redelivered event).
pub(crate) async fn alert_exists(
    txn: &impl ConnectionTrait,
    event_id: i32,
    rule_id: Uuid,
) -> Result<bool, AlertError> {
    let count = alerts::Entity::find()
        .filter(alerts::Column::EventId.eq(event_id))
        .filter(alerts::Column::RuleId.eq(rule_id))
        .count(txn)
        .await
        .map_err(AlertError::db("looking for an existing alert"))?;
    Ok(count > 0)
}

/// A new `alerts` row.
#[derive(Debug, Clone)]
pub(crate) struct NewAlert {
    pub id: Uuid,
    pub event_id: i32,
    pub rule_id: Uuid,
    pub severity: hsi_core::Severity,
    pub created_at: DateTime<Utc>,
    pub channels: Option<Value>,
    pub dedup_key: String,
    pub metadata: Value,
}

/// Inserts a pending alert.
pub(crate) async fn insert_alert(
    txn: &impl ConnectionTrait,
    alert: NewAlert,
) -> Result<(), AlertError> {
    let row = alerts::ActiveModel {
        id: Set(alert.id),
        event_id: Set(alert.event_id),
        rule_id: Set(Some(alert.rule_id)),
        severity: Set(alert.severity.into()),
        status: Set(AlertStatus::Pending),
        created_at: Set(alert.created_at),
        updated_at: Set(alert.created_at),
        delivered_at: Set(None),
        channels: Set(alert.channels),
        dedup_key: Set(alert.dedup_key),
        metadata: Set(Some(alert.metadata)),
        version_id: Set(1),
    };
    row.insert(txn)
        .await
        .map_err(AlertError::db("inserting an alert"))?;
    Ok(())
}

/// Stores the delivery results; marks the alert delivered when `delivered_at` is set,
/// unless an operator has already moved it on (acknowledged or dismissed it).
pub(crate) async fn record_delivery(
    db: &DatabaseConnection,
    alert_id: Uuid,
    metadata: Value,
    delivered_at: Option<DateTime<Utc>>,
) -> Result<(), AlertError> {
    let sql = "UPDATE alerts SET metadata = $1, \
               delivered_at = COALESCE($2, delivered_at), \
               status = CASE WHEN $2 IS NOT NULL AND status = 'pending' \
                             THEN 'delivered'::alert_status ELSE status END, \
               version_id = version_id + 1 \
               WHERE id = $3";
    db.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [metadata.into(), delivered_at.into(), alert_id.into()],
    ))
    .await
    .map_err(AlertError::db("recording an alert delivery"))?;
    Ok(())
}
