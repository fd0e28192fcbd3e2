//! Folding hourly detection counts into `activity_baselines` and `class_baselines` with
//! the estimator of [`hsi_core::baseline`].
//!
//! Slots and periods: an activity slot is a camera's hour of the week (`hour` 0–23,
//! `day_of_week` 0 = Monday … 6), folded with α = `alpha(WEEK)`; a class slot is a
//! camera's class at an hour of the day, folded with α = `alpha(DAY)`. **Hours and days
//! are UTC**, taken from the detections' `detected_at`, so a slot is the same wall-clock
//! hour only for cameras in UTC; readers must convert their local time to UTC first.
//!
//! Idempotency: a row's `last_bucket_at` is the start of the last hour folded into it.
//! A bucket is folded only into a row whose `last_bucket_at` is earlier, under a row
//! lock, and sets it to the bucket's hour, so a bucket folded twice (two replicas, or a
//! crash between the commit and deleting the bucket in Redis) changes nothing the second
//! time. Late detections, arriving after their hour was folded, are dropped.
//!
//! What is approximated: hours with no detections are observations of zero, but only
//! hours *with* detections leave a bucket. The zeros in between are folded (with
//! `fold_after_gap`) when the slot next sees a detection, from the number of periods
//! since `last_bucket_at`. A slot that goes permanently silent is therefore never
//! updated and keeps its last, too-high estimate. Readers (the analysis worker) should
//! not use a row as it stands but [`hsi_core::baseline::expected_now`], which applies the zero occurrences
//! that have passed since `last_bucket_at` without writing anything; they then compare
//! a count with `z_score`. A class slot gets its zeros the same way, also for hours in
//! which the camera saw other classes only.

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use hsi_core::baseline::{alpha, periods_between, RateEstimate, DAY, WEEK};
use hsi_db::entities::batch_aggregator::{activity_baselines, class_baselines};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QuerySelect, SqlErr, TransactionTrait,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// Longest camera id and class name the tables hold.
const MAX_CAMERA_LEN: usize = 100;
const MAX_CLASS_LEN: usize = 64;

/// One camera's detections in one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourBucket {
    pub camera_id: String,
    /// The start of the hour (UTC).
    pub hour: DateTime<Utc>,
    pub total: u64,
    /// Detections per class.
    pub classes: BTreeMap<String, u64>,
}

/// What folding a bucket did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldOutcome {
    /// Slots updated (those already past this hour are left alone).
    Folded { activity: bool, classes: usize },
    /// The camera is not registered (or was deleted); the bucket cannot be kept.
    MissingCamera,
}

/// The activity slot of an hour: (hour of the day, day of the week from Monday = 0), UTC.
pub fn activity_slot(hour: DateTime<Utc>) -> (i32, i32) {
    (
        hour.hour() as i32,
        hour.weekday().num_days_from_monday() as i32,
    )
}

/// The estimate after folding `count` for the occurrence at `bucket_hour`, with the
/// occurrences since `last_bucket_at` folded as zeros first; `None` when the row already
/// holds this hour or a later one.
pub fn advance(
    mut estimate: RateEstimate,
    last_bucket_at: Option<DateTime<Utc>>,
    bucket_hour: DateTime<Utc>,
    count: f64,
    period: Duration,
) -> Option<RateEstimate> {
    let missed = match last_bucket_at {
        Some(last) if last >= bucket_hour => return None,
        Some(last) => {
            periods_between(last.timestamp(), bucket_hour.timestamp(), period).saturating_sub(1)
        }
        None => 0,
    };
    estimate.fold_after_gap(count, alpha(period), missed);
    Some(estimate)
}

fn estimate(mean: f64, variance: f64, samples: i32) -> RateEstimate {
    RateEstimate {
        mean,
        variance,
        samples: u32::try_from(samples).unwrap_or(0),
    }
}

fn sample_count(estimate: &RateEstimate) -> i32 {
    i32::try_from(estimate.samples).unwrap_or(i32::MAX)
}

/// Folds a bucket into its activity slot and class slots in one transaction.
pub async fn fold_bucket(
    db: &DatabaseConnection,
    bucket: &HourBucket,
    now: DateTime<Utc>,
) -> Result<FoldOutcome, DbErr> {
    if bucket.camera_id.is_empty() || bucket.camera_id.chars().count() > MAX_CAMERA_LEN {
        return Ok(FoldOutcome::MissingCamera);
    }
    let txn = db.begin().await?;
    let folded = fold_slots(&txn, bucket, now).await;
    match folded {
        Ok(outcome) => {
            txn.commit().await?;
            Ok(outcome)
        }
        Err(err)
            if matches!(
                err.sql_err(),
                Some(SqlErr::ForeignKeyConstraintViolation(_))
            ) =>
        {
            txn.rollback().await?;
            Ok(FoldOutcome::MissingCamera)
        }
        Err(err) => Err(err),
    }
}

async fn fold_slots(
    txn: &DatabaseTransaction,
    bucket: &HourBucket,
    now: DateTime<Utc>,
) -> Result<FoldOutcome, DbErr> {
    let activity = fold_activity(txn, bucket, now).await?;
    let mut classes = 0;
    for (class, count) in &bucket.classes {
        let class: String = class.chars().take(MAX_CLASS_LEN).collect();
        if fold_class(txn, bucket, &class, *count, now).await? {
            classes += 1;
        }
    }
    Ok(FoldOutcome::Folded { activity, classes })
}

async fn fold_activity(
    txn: &DatabaseTransaction,
    bucket: &HourBucket,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use activity_baselines::{ActiveModel, Column, Entity};
    let (hour, day_of_week) = activity_slot(bucket.hour);
    // Create the row first so that the lock below always has a row to hold.
    Entity::insert(ActiveModel {
        camera_id: Set(bucket.camera_id.clone()),
        hour: Set(hour),
        day_of_week: Set(day_of_week),
        avg_count: Set(0.0),
        count_variance: Set(0.0),
        sample_count: Set(0),
        last_updated: Set(now),
        last_bucket_at: Set(None),
        id: NotSet,
    })
    .on_conflict(
        OnConflict::columns([Column::CameraId, Column::Hour, Column::DayOfWeek])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let row = Entity::find()
        .filter(Column::CameraId.eq(&bucket.camera_id))
        .filter(Column::Hour.eq(hour))
        .filter(Column::DayOfWeek.eq(day_of_week))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("activity baseline just upserted".into()))?;
    let current = estimate(row.avg_count, row.count_variance, row.sample_count);
    let Some(next) = advance(
        current,
        row.last_bucket_at,
        bucket.hour,
        bucket.total as f64,
        WEEK,
    ) else {
        return Ok(false);
    };
    let mut update: ActiveModel = row.into();
    update.avg_count = Set(next.mean);
    update.count_variance = Set(next.variance);
    update.sample_count = Set(sample_count(&next));
    update.last_bucket_at = Set(Some(bucket.hour));
    update.last_updated = Set(now);
    update.update(txn).await?;
    Ok(true)
}

async fn fold_class(
    txn: &DatabaseTransaction,
    bucket: &HourBucket,
    class: &str,
    count: u64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use class_baselines::{ActiveModel, Column, Entity};
    let hour = bucket.hour.hour() as i32;
    Entity::insert(ActiveModel {
        camera_id: Set(bucket.camera_id.clone()),
        detection_class: Set(class.to_owned()),
        hour: Set(hour),
        frequency: Set(0.0),
        frequency_variance: Set(0.0),
        sample_count: Set(0),
        last_updated: Set(now),
        last_bucket_at: Set(None),
        id: NotSet,
    })
    .on_conflict(
        OnConflict::columns([Column::CameraId, Column::DetectionClass, Column::Hour])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let row = Entity::find()
        .filter(Column::CameraId.eq(&bucket.camera_id))
        .filter(Column::DetectionClass.eq(class))
        .filter(Column::Hour.eq(hour))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("class baseline just upserted".into()))?;
    let current = estimate(row.frequency, row.frequency_variance, row.sample_count);
    let Some(next) = advance(current, row.last_bucket_at, bucket.hour, count as f64, DAY) else {
        return Ok(false);
    };
    let mut update: ActiveModel = row.into();
    update.frequency = Set(next.mean);
    update.frequency_variance = Set(next.variance);
    update.sample_count = Set(sample_count(&next));
    update.last_bucket_at = Set(Some(bucket.hour));
    update.last_updated = Set(now);
    update.update(txn).await?;
    Ok(true)
}

/// The UTC time of `ms` since the epoch (the epoch itself if out of range).
pub fn utc_from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn slots_are_utc_hour_and_weekday_from_monday() {
        assert_eq!(activity_slot(at("2026-01-05T10:00:00Z")), (10, 0));
        assert_eq!(activity_slot(at("2026-01-11T23:00:00Z")), (23, 6));
    }

    #[test]
    fn advancing_is_idempotent_and_folds_the_gap() {
        let week1 = at("2026-01-05T10:00:00Z");
        let week3 = at("2026-01-19T10:00:00Z");
        let first = advance(RateEstimate::default(), None, week1, 4.0, WEEK).expect("new");
        assert_eq!(advance(first, Some(week1), week1, 4.0, WEEK), None);
        let next = advance(first, Some(week1), week3, 6.0, WEEK).expect("later hour");
        let mut by_hand = first;
        by_hand.fold(0.0, alpha(WEEK));
        by_hand.fold(6.0, alpha(WEEK));
        assert_eq!(next, by_hand);
    }
}
