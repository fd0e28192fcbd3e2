//! Moving ended hourly buckets from Redis into the baseline tables.
//!
//! The batching script counts each newly batched detection into its camera's bucket for
//! the hour of its `detected_at` (UTC). Once that hour has ended, plus a grace period
//! for late files, the roll-up folds the bucket into PostgreSQL (see
//! [`crate::baselines`]) and deletes it only after the commit; a crash in between folds
//! nothing twice because the rows remember the last hour folded.

use crate::baselines::{fold_bucket, utc_from_ms, FoldOutcome, HourBucket};
use crate::keys::{parse_bucket_member, Keys};
use crate::Error;
use hsi_queue::RedisPool;
use sea_orm::DatabaseConnection;
use std::collections::{BTreeMap, HashMap};

/// Buckets read per round trip.
const CHUNK: usize = 200;
const HOUR_SECS: i64 = 3600;

/// What one roll-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupReport {
    /// Buckets folded (or found already folded) and deleted.
    pub buckets: usize,
    /// Activity slots updated.
    pub activity_slots: usize,
    /// Class slots updated.
    pub class_slots: usize,
    /// Buckets dropped because their camera is not registered.
    pub dropped: usize,
}

/// Folds ended hourly buckets into PostgreSQL.
#[derive(Debug, Clone)]
pub struct Rollup {
    pool: RedisPool,
    keys: Keys,
    db: DatabaseConnection,
    grace_secs: i64,
}

impl Rollup {
    /// A roll-up of the buckets under `prefix` into `db`, `grace_secs` after each hour.
    pub fn new(pool: RedisPool, prefix: &str, db: DatabaseConnection, grace_secs: u64) -> Self {
        Self {
            pool,
            keys: Keys::new(prefix),
            db,
            grace_secs: i64::try_from(grace_secs).unwrap_or(i64::MAX),
        }
    }

    /// Folds every bucket whose hour ended at least the grace period before `now_ms`,
    /// oldest hour first. Stops at the first database error (the rest wait for the next
    /// run).
    pub async fn run_once(&self, now_ms: i64) -> Result<RollupReport, Error> {
        let cutoff = now_ms
            .div_euclid(1000)
            .saturating_sub(HOUR_SECS)
            .saturating_sub(self.grace_secs);
        let now = utc_from_ms(now_ms);
        let mut report = RollupReport::default();
        loop {
            let members: Vec<String> = {
                let mut conn = self.pool.get().await?;
                redis::cmd("ZRANGEBYSCORE")
                    .arg(&self.keys.buckets)
                    .arg("-inf")
                    .arg(cutoff)
                    .arg("LIMIT")
                    .arg(0)
                    .arg(CHUNK)
                    .query_async(&mut *conn)
                    .await?
            };
            for member in &members {
                self.roll_one(member, now, &mut report).await?;
            }
            if members.len() < CHUNK {
                return Ok(report);
            }
        }
    }

    async fn roll_one(
        &self,
        member: &str,
        now: chrono::DateTime<chrono::Utc>,
        report: &mut RollupReport,
    ) -> Result<(), Error> {
        let key = self.keys.bucket(member);
        if let Some(bucket) = self.read_bucket(member, &key).await? {
            match fold_bucket(&self.db, &bucket, now).await? {
                FoldOutcome::Folded { activity, classes } => {
                    report.activity_slots += usize::from(activity);
                    report.class_slots += classes;
                }
                FoldOutcome::MissingCamera => {
                    tracing::warn!(camera = %bucket.camera_id, hour = %bucket.hour,
                        "camera is not registered, dropping its hourly counts");
                    report.dropped += 1;
                }
            }
        }
        // Only after the commit: a crash before this line re-reads a bucket whose hour
        // the rows already hold, which folds nothing.
        let mut conn = self.pool.get().await?;
        let _: () = redis::pipe()
            .atomic()
            .del(&key)
            .ignore()
            .zrem(&self.keys.buckets, member)
            .ignore()
            .query_async(&mut *conn)
            .await?;
        report.buckets += 1;
        Ok(())
    }

    async fn read_bucket(&self, member: &str, key: &str) -> Result<Option<HourBucket>, Error> {
        let Some((hour_secs, camera)) = parse_bucket_member(member) else {
            tracing::warn!(%member, "malformed baseline bucket name, dropping it");
            return Ok(None);
        };
        let mut conn = self.pool.get().await?;
        let fields: HashMap<String, u64> = redis::cmd("HGETALL")
            .arg(key)
            .query_async(&mut *conn)
            .await?;
        if fields.is_empty() {
            // Another replica folded and deleted it since it was listed.
            return Ok(None);
        }
        let classes: BTreeMap<String, u64> = fields
            .iter()
            .filter_map(|(field, count)| {
                let class = field.strip_prefix("class:")?;
                Some((class.to_owned(), *count))
            })
            .collect();
        Ok(Some(HourBucket {
            camera_id: camera.to_owned(),
            hour: utc_from_ms(hour_secs.saturating_mul(1000)),
            total: fields.get("total").copied().unwrap_or(0),
            classes,
        }))
    }
}
