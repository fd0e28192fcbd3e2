//! The engine's reads and writes in PostgreSQL: rules in, alerts out, and the delivery
//! outbox on the alert rows.

use crate::error::AlertError;
use crate::template::fnv1a;
use chrono::{DateTime, Utc};
use hsi_db::entities::enums::AlertStatus;
use hsi_db::entities::{alert_rules, alerts};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QueryResult, Statement,
};
use serde_json::Value;
use std::time::Duration;
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

/// The advisory lock key of an (event, rule) pair.
pub(crate) fn event_rule_key(event_id: i32, rule_id: Uuid) -> i64 {
    lock_key(&format!("hsi-alert:{event_id}:{rule_id}"))
}

/// The advisory lock key of a dedup key's cooldown.
pub(crate) fn dedup_lock_key(dedup_key: &str) -> i64 {
    lock_key(&format!("hsi-alert-cooldown:{dedup_key}"))
}

fn lock_key(text: &str) -> i64 {
    // Reinterpreting the hash's bits as a signed key is the point, not an overflow.
    i64::from_ne_bytes(fnv1a(text.as_bytes()).to_ne_bytes())
}

/// Takes transaction-scoped advisory locks on `keys`, in ascending order so that two
/// transactions locking overlapping sets can never deadlock. They serialise everyone
/// deciding about the same (event, rule) or the same dedup key until the transaction
/// ends, so "is there an alert already? is the key cooling down? if not, insert" cannot
/// race between replicas.
pub(crate) async fn lock_keys(
    txn: &impl ConnectionTrait,
    mut keys: Vec<i64>,
) -> Result<(), AlertError> {
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        txn.query_one(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)::text",
            [key.into()],
        ))
        .await
        .map_err(AlertError::db("locking an alert decision"))?;
    }
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
    /// Whether anything is to be delivered (the rule has channels).
    pub deliver: bool,
}

/// Inserts a pending alert; with channels, it is due for delivery at once.
pub(crate) async fn insert_alert(
    txn: &impl ConnectionTrait,
    alert: NewAlert,
) -> Result<(), AlertError> {
    let (state, due) = if alert.deliver {
        ("pending", Some(alert.created_at))
    } else {
        ("none", None)
    };
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
        delivery_state: Set(state.to_owned()),
        delivery_attempts: Set(0),
        next_attempt_at: Set(due),
        last_error: Set(None),
        revision: Set(1),
        revised_at: Set(None),
        withdrawn_at: Set(None),
    };
    row.insert(txn)
        .await
        .map_err(AlertError::db("inserting an alert"))?;
    Ok(())
}

/// An alert taken for delivery: its lease runs until `lease`, which also fences the
/// write of the outcome (a delivery that outlived its lease writes nothing).
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub id: Uuid,
    pub channels: Option<Value>,
    pub metadata: Value,
    /// Delivery attempts before this one.
    pub attempts: i32,
    pub lease: DateTime<Utc>,
    pub revision: i32,
}

/// Takes up to `limit` alerts due for delivery (or only those of `ids`), oldest due
/// first, leasing each for `lease`. Rows another replica is taking at the same moment
/// are skipped, not waited for.
pub(crate) async fn claim_due(
    db: &DatabaseConnection,
    ids: Option<&[Uuid]>,
    limit: u64,
    lease: Duration,
) -> Result<Vec<Claimed>, AlertError> {
    let only = if ids.is_some() {
        "AND id = ANY($3)"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE alerts SET next_attempt_at = now() + make_interval(secs => $1) \
         WHERE id IN (SELECT id FROM alerts \
                      WHERE delivery_state IN ('pending', 'retrying') AND next_attempt_at <= now() {only} \
                      ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING id, channels, metadata, delivery_attempts, next_attempt_at, revision"
    );
    let mut values: Vec<sea_orm::Value> = vec![
        lease.as_secs_f64().into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ];
    if let Some(ids) = ids {
        values.push(ids.to_vec().into());
    }
    let rows = db
        .query_all(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .map_err(AlertError::db("claiming alerts for delivery"))?;
    rows.iter()
        .map(claimed_from_row)
        .collect::<Result<_, _>>()
        .map_err(AlertError::db("reading claimed alerts"))
}

fn claimed_from_row(row: &QueryResult) -> Result<Claimed, sea_orm::DbErr> {
    Ok(Claimed {
        id: row.try_get("", "id")?,
        channels: row.try_get("", "channels")?,
        metadata: row
            .try_get::<Option<Value>>("", "metadata")?
            .unwrap_or(Value::Null),
        attempts: row.try_get("", "delivery_attempts")?,
        lease: row.try_get("", "next_attempt_at")?,
        revision: row.try_get("", "revision")?,
    })
}

/// What a delivery attempt leaves on the alert.
#[derive(Debug, Clone)]
pub(crate) struct AttemptRecord {
    pub metadata: Value,
    /// `delivered`, `retrying` or `failed`.
    pub state: &'static str,
    /// When to try again (`retrying` only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// What became of an attempt's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Recorded,
    /// The alert was revised meanwhile: the new revision is due, this outcome is only
    /// history.
    Superseded,
    /// The lease passed to another attempt.
    LeaseLost,
}

/// Stores the outcome of an attempt if the lease is still ours and the alert was not
/// revised meanwhile; marks the alert delivered when it was, unless an operator already
/// moved it on (acknowledged or dismissed it).
pub(crate) async fn record_attempt(
    db: &DatabaseConnection,
    claimed: &Claimed,
    record: AttemptRecord,
) -> Result<Outcome, AlertError> {
    let sql = "UPDATE alerts SET metadata = $1, delivery_state = $2, next_attempt_at = $3, \
               last_error = $4, delivery_attempts = delivery_attempts + 1, \
               delivered_at = COALESCE($5, delivered_at), \
               status = CASE WHEN $5 IS NOT NULL AND status = 'pending' \
                             THEN 'delivered'::alert_status ELSE status END, \
               version_id = version_id + 1 \
               WHERE id = $6 AND next_attempt_at = $7 AND revision = $8";
    let result = db
        .execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                record.metadata.into(),
                record.state.into(),
                record.next_attempt_at.into(),
                record.last_error.into(),
                record.delivered_at.into(),
                claimed.id.into(),
                claimed.lease.into(),
                claimed.revision.into(),
            ],
        ))
        .await
        .map_err(AlertError::db("recording an alert delivery"))?;
    if result.rows_affected() == 1 {
        return Ok(Outcome::Recorded);
    }
    let revision = alerts::Entity::find_by_id(claimed.id)
        .one(db)
        .await
        .map_err(AlertError::db("reading a revised alert"))?
        .map(|alert| alert.revision);
    Ok(match revision {
        Some(revision) if revision > claimed.revision => {
            // Count the attempt all the same: history rows are numbered by it.
            db.execute(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE alerts SET delivery_attempts = delivery_attempts + 1 WHERE id = $1",
                [claimed.id.into()],
            ))
            .await
            .map_err(AlertError::db("counting a superseded delivery"))?;
            Outcome::Superseded
        }
        _ => Outcome::LeaseLost,
    })
}

/// A provisional (fast-path) alert of an event, awaiting the judgement.
#[derive(Debug, Clone)]
pub(crate) struct Provisional {
    pub id: Uuid,
    pub rule_id: Option<Uuid>,
    pub revision: i32,
    pub metadata: Value,
    pub has_channels: bool,
    pub attempts: i32,
}

/// The event's alerts still at their provisional stage, locked for the revision.
pub(crate) async fn provisional_alerts(
    txn: &impl ConnectionTrait,
    event_id: i32,
) -> Result<Vec<Provisional>, AlertError> {
    let rows = txn
        .query_all(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, rule_id, revision, metadata, delivery_state <> 'none' AS has_channels, \
                    delivery_attempts FROM alerts \
             WHERE event_id = $1 AND metadata->'payload'->>'stage' = 'provisional' \
             ORDER BY id FOR UPDATE",
            [event_id.into()],
        ))
        .await
        .map_err(AlertError::db("reading provisional alerts"))?;
    rows.iter()
        .map(|row| {
            Ok(Provisional {
                id: row.try_get("", "id")?,
                rule_id: row.try_get("", "rule_id")?,
                revision: row.try_get("", "revision")?,
                metadata: row
                    .try_get::<Option<Value>>("", "metadata")?
                    .unwrap_or(Value::Null),
                has_channels: row.try_get("", "has_channels")?,
                attempts: row.try_get("", "delivery_attempts")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(AlertError::db("reading provisional alerts"))
}

/// Writes a revision: the new metadata (with the new payload), one more revision, due
/// for delivery again when the alert has channels. A withdrawn alert is dismissed
/// unless someone already acknowledged it, and stops holding its cooldown.
pub(crate) async fn revise(
    txn: &impl ConnectionTrait,
    alert: &Provisional,
    metadata: Value,
    withdrawn: bool,
) -> Result<(), AlertError> {
    let sql = "UPDATE alerts SET revision = revision + 1, revised_at = now(), updated_at = now(), \
               metadata = $1, \
               delivery_state = CASE WHEN $2 THEN 'pending' ELSE 'none' END, \
               next_attempt_at = CASE WHEN $2 THEN now() ELSE NULL END, last_error = NULL, \
               status = CASE WHEN $3 AND status IN ('pending', 'delivered') THEN 'dismissed'::alert_status \
                             WHEN status = 'delivered' AND $2 THEN 'pending'::alert_status \
                             ELSE status END, \
               withdrawn_at = CASE WHEN $3 THEN now() ELSE NULL END, \
               version_id = version_id + 1 \
               WHERE id = $4";
    txn.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [
            metadata.into(),
            alert.has_channels.into(),
            withdrawn.into(),
            alert.id.into(),
        ],
    ))
    .await
    .map_err(AlertError::db("revising an alert"))?;
    Ok(())
}
