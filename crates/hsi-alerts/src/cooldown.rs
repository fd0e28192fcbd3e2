//! Cooldown per dedup key in Redis, shared by every replica.
//!
//! `SET key owner NX GET PX ms` (Redis >= 7) claims the key only if it is free and, in
//! the same atomic step, tells who holds it otherwise. The owner is
//! `<event_id>:<rule_id>`, so the same event and rule finding its own claim (a crash
//! after claiming, before the alert was committed) may go on and record the alert.

use crate::error::AlertError;
use deadpool_redis::Pool;
use std::time::Duration;

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// The key was free and is now ours for the cooldown.
    Claimed,
    /// The key was already ours (same event and rule): an earlier try did not finish.
    AlreadyOurs,
    /// Another event, or another rule with the same dedup key, holds the cooldown.
    HeldBy(String),
}

/// The Redis key of a dedup key's cooldown.
pub(crate) fn cooldown_key(prefix: &str, dedup_key: &str) -> String {
    format!("{prefix}alert:cooldown:{dedup_key}")
}

/// The value that identifies the holder of a cooldown.
pub(crate) fn owner(event_id: i32, rule_id: uuid::Uuid) -> String {
    format!("{event_id}:{rule_id}")
}

/// Tries to start the cooldown for `key`; `cooldown` must be above zero.
pub(crate) async fn claim(
    redis: &Pool,
    key: &str,
    owner: &str,
    cooldown: Duration,
) -> Result<Claim, AlertError> {
    let mut conn = redis
        .get()
        .await
        .map_err(AlertError::pool("claiming an alert cooldown"))?;
    let millis = u64::try_from(cooldown.as_millis()).unwrap_or(u64::MAX);
    let previous: Option<String> = redis::cmd("SET")
        .arg(key)
        .arg(owner)
        .arg("NX")
        .arg("GET")
        .arg("PX")
        .arg(millis)
        .query_async(&mut *conn)
        .await
        .map_err(AlertError::redis("claiming an alert cooldown"))?;
    Ok(match previous {
        None => Claim::Claimed,
        Some(holder) if holder == owner => Claim::AlreadyOurs,
        Some(holder) => Claim::HeldBy(holder),
    })
}

/// Gives the cooldown back if we still hold it, after the alert could not be recorded,
/// so that the next event is not suppressed by an alert that does not exist.
pub(crate) async fn release(redis: &Pool, key: &str, owner: &str) -> Result<(), AlertError> {
    let script = redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end \
         return 0",
    );
    let mut conn = redis
        .get()
        .await
        .map_err(AlertError::pool("releasing an alert cooldown"))?;
    let _: i64 = script
        .key(key)
        .arg(owner)
        .invoke_async(&mut *conn)
        .await
        .map_err(AlertError::redis("releasing an alert cooldown"))?;
    Ok(())
}
