//! Cooldown per dedup key, decided by the `alerts` rows themselves: an alert with the
//! same dedup key created within the rule's cooldown suppresses a new one. PostgreSQL,
//! not a Redis key with a TTL, is the record of what was alerted, so losing Redis can
//! neither lift a cooldown early nor hold one for ever.
//!
//! The caller holds a transaction-scoped advisory lock on the dedup key (see
//! `store::lock_keys`), so two replicas deciding about the same key do it one after the
//! other and the second sees the first one's alert.

use crate::error::AlertError;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::Duration;

/// The holder of the cooldown for `dedup_key` at `now`: `<event id>:<rule id>` of the
/// newest alert with that key created within `cooldown`, if there is one. An alert the
/// judgement withdrew holds nothing: a false fast-path alarm must not silence the next
/// real one.
pub(crate) async fn held_by(
    txn: &impl ConnectionTrait,
    dedup_key: &str,
    cooldown: Duration,
    now: DateTime<Utc>,
) -> Result<Option<String>, AlertError> {
    let since = chrono::Duration::from_std(cooldown)
        .ok()
        .and_then(|cooldown| now.checked_sub_signed(cooldown))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let row = txn
        .query_one(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT event_id::text || ':' || coalesce(rule_id::text, '') AS holder FROM alerts \
             WHERE dedup_key = $1 AND created_at > $2 AND withdrawn_at IS NULL ORDER BY created_at DESC LIMIT 1",
            [dedup_key.into(), since.into()],
        ))
        .await
        .map_err(AlertError::db("reading the alert cooldown"))?;
    row.map(|row| row.try_get::<String>("", "holder"))
        .transpose()
        .map_err(AlertError::db("reading the alert cooldown"))
}
