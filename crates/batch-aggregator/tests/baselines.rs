//! Hourly counts folded into the baseline tables, checked against numbers worked by
//! hand, through the service's own PostgreSQL role.

mod support;

use hsi_batch_aggregator::{Rollup, RollupReport};
use hsi_core::Service;
use hsi_db::entities::batch_aggregator::{activity_baselines, class_baselines};
use hsi_testkit::TestDatabase;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use support::{message, World};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// 2026-01-05T00:00:00Z, a Monday.
const MONDAY: i64 = 1_767_571_200_000;

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-5
}

/// Feeds `count` detections of `class` seen at `at_ms` (ids from `next_id`).
async fn feed(world: &World, camera: &str, at_ms: i64, class: &str, count: i64, next_id: &mut i64) {
    let detections: Vec<(i64, &str, f32)> = (*next_id..*next_id + count)
        .map(|id| (id, class, 0.8))
        .collect();
    *next_id += count;
    world
        .aggregator()
        .handle(&message(camera, at_ms, &detections), at_ms)
        .await
        .expect("handle");
}

/// The bucket hashes in Redis, to put back after a roll-up (as if it had crashed
/// between its commit and deleting them).
async fn snapshot(world: &World) -> Vec<(String, HashMap<String, i64>, i64)> {
    let mut conn = world.pool.get().await.expect("redis");
    let index = format!("{}baseline:buckets", world.redis.prefix);
    let members: Vec<(String, i64)> = redis::cmd("ZRANGE")
        .arg(&index)
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query_async(&mut *conn)
        .await
        .expect("index");
    let mut buckets = Vec::new();
    for (member, hour) in members {
        let key = format!("{}baseline:bucket:{member}", world.redis.prefix);
        let fields: HashMap<String, i64> = redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut *conn)
            .await
            .expect("bucket");
        buckets.push((member, fields, hour));
    }
    buckets
}

async fn restore(world: &World, buckets: &[(String, HashMap<String, i64>, i64)]) {
    let mut conn = world.pool.get().await.expect("redis");
    let index = format!("{}baseline:buckets", world.redis.prefix);
    for (member, fields, hour) in buckets {
        let key = format!("{}baseline:bucket:{member}", world.redis.prefix);
        let pairs: Vec<(&String, &i64)> = fields.iter().collect();
        let _: () = redis::pipe()
            .hset_multiple(&key, &pairs)
            .ignore()
            .zadd(&index, member, *hour)
            .ignore()
            .query_async(&mut *conn)
            .await
            .expect("restore");
    }
}

async fn tables(
    db: &TestDatabase,
) -> (Vec<activity_baselines::Model>, Vec<class_baselines::Model>) {
    let activity = activity_baselines::Entity::find()
        .order_by_asc(activity_baselines::Column::Id)
        .all(&db.conn)
        .await
        .expect("activity rows");
    let classes = class_baselines::Entity::find()
        .order_by_asc(class_baselines::Column::Id)
        .all(&db.conn)
        .await
        .expect("class rows");
    (activity, classes)
}

/// Activity slot Monday 10:00 UTC (weekly, α = 1 − e^(−7/30) = 0.2081104, 1 − α =
/// 0.7918896): 4, 6 and 2 cars on three Mondays (m = 3.913380, v = 1.484141 after them,
/// as in hsi-core's baseline test), none on the fourth, 3 on the fifth:
///   gap week x = 0: d = −3.913380, d² = 15.314544
///                   m = 3.913380 − 3.913380α = 3.098965
///                   v = (1−α)(1.484141 + α·15.314544) = 0.7918896 × 4.671257 = 3.699120
///   x = 3:          d = −0.098965, d² = 0.009794
///                   m = 3.098965 − 0.098965α = 3.078369
///                   v = (1−α)(3.699120 + α·0.009794) = 0.7918896 × 3.701158 = 2.930908
///   samples 5 (the gap week is a zero observation).
///
/// Class slot person at 07:00 (daily, α = 1 − e^(−1/30) = 0.0327839, 1 − α = 0.9672161):
/// 4, 6, 2 persons on Tuesday to Thursday, none on Friday, 3 on Saturday:
///   x = 4:  m = 4, v = 0
///   x = 6:  d = 2          m = 4 + 2α = 4.065568;           v = (1−α)(0 + α·4) = 0.126836
///   x = 2:  d = −2.065568  m = 4.065568 − 2.065568α = 3.997850
///                          v = (1−α)(0.126836 + α·4.266570) = 0.9672161 × 0.266711 = 0.257967
///   x = 0:  d = −3.997850  m = 3.997850(1−α) = 3.866785
///                          v = (1−α)(0.257967 + α·15.982808) = 0.9672161 × 0.781946 = 0.756311
///   x = 3:  d = −0.866785  m = 3.866785 − 0.866785α = 3.838369
///                          v = (1−α)(0.756311 + α·0.751317) = 0.9672161 × 0.780942 = 0.755340
///   samples 5.
///
/// The car class at 10:00 is seen on Mondays only, so each week folds six zero days
/// before the count: samples 1 + (6 + 1) + (6 + 1) + (13 + 1) = 29.
#[tokio::test]
async fn rolled_up_baselines_match_a_hand_computed_example() {
    let db = TestDatabase::migrated().await;
    db.conn
        .execute_unprepared(
            "INSERT INTO cameras (id, name, folder_path) VALUES ('front_door', 'Front Door', '/cams/Front Door')",
        )
        .await
        .expect("camera");
    let world = World::new();
    let mut next_id = 1;
    for (week, cars) in [(0, 4), (1, 6), (2, 2), (4, 3)] {
        let at = MONDAY + week * 7 * DAY + 10 * HOUR + 15 * 60_000;
        feed(&world, "front_door", at, "car", cars, &mut next_id).await;
    }
    for (day, persons) in [(1, 4), (2, 6), (3, 2), (5, 3)] {
        let at = MONDAY + day * DAY + 7 * HOUR + 5 * 60_000;
        feed(&world, "front_door", at, "person", persons, &mut next_id).await;
    }
    // A camera nobody registered: its counts are dropped, not retried for ever.
    feed(&world, "ghost", MONDAY + 10 * HOUR, "car", 2, &mut next_id).await;

    let saved = snapshot(&world).await;
    let rollup = Rollup::new(
        world.pool.clone(),
        &world.redis.prefix,
        db.connect_as(Service::BatchAggregator).await,
        120,
    );
    // Five weeks on, 12:00: every hour has ended more than the grace period ago.
    let now = MONDAY + 28 * DAY + 12 * HOUR;
    let report = rollup.run_once(now).await.expect("roll-up");
    assert_eq!(
        report,
        RollupReport {
            buckets: 9,
            activity_slots: 8,
            class_slots: 8,
            dropped: 1,
        }
    );

    let monday_ten = activity_baselines::Entity::find()
        .filter(activity_baselines::Column::CameraId.eq("front_door"))
        .filter(activity_baselines::Column::Hour.eq(10))
        .filter(activity_baselines::Column::DayOfWeek.eq(0))
        .one(&db.conn)
        .await
        .expect("query")
        .expect("the Monday 10:00 slot");
    assert!(close(monday_ten.avg_count, 3.078369), "{monday_ten:?}");
    assert!(close(monday_ten.count_variance, 2.930908), "{monday_ten:?}");
    assert_eq!(monday_ten.sample_count, 5);
    assert_eq!(
        monday_ten.last_bucket_at.map(|t| t.timestamp_millis()),
        Some(MONDAY + 28 * DAY + 10 * HOUR)
    );

    let class = |name: &'static str, hour: i32| {
        class_baselines::Entity::find()
            .filter(class_baselines::Column::CameraId.eq("front_door"))
            .filter(class_baselines::Column::DetectionClass.eq(name))
            .filter(class_baselines::Column::Hour.eq(hour))
            .one(&db.conn)
    };
    let person = class("person", 7)
        .await
        .expect("query")
        .expect("person row");
    assert!(close(person.frequency, 3.838369), "{person:?}");
    assert!(close(person.frequency_variance, 0.755340), "{person:?}");
    assert_eq!(person.sample_count, 5);
    let car = class("car", 10).await.expect("query").expect("car row");
    assert_eq!(car.sample_count, 29, "{car:?}");

    // Folding the same buckets again (a crash before they were deleted) changes nothing.
    let before = tables(&db).await;
    restore(&world, &saved).await;
    let again = rollup.run_once(now + HOUR).await.expect("second roll-up");
    assert_eq!((again.activity_slots, again.class_slots), (0, 0));
    assert_eq!(again.buckets, 9, "and the buckets are deleted");
    assert_eq!(tables(&db).await, before);
    let third = rollup
        .run_once(now + 2 * HOUR)
        .await
        .expect("third roll-up");
    assert_eq!(third, RollupReport::default());
}

/// An hour is left in Redis until it has ended and the grace period has passed.
#[tokio::test]
async fn the_current_hour_waits_for_its_grace_period() {
    let db = TestDatabase::migrated().await;
    db.conn
        .execute_unprepared(
            "INSERT INTO cameras (id, name, folder_path) VALUES ('yard', 'Yard', '/cams/Yard')",
        )
        .await
        .expect("camera");
    let world = World::new();
    let mut next_id = 1;
    feed(
        &world,
        "yard",
        MONDAY + 10 * HOUR + 59 * 60_000,
        "dog",
        2,
        &mut next_id,
    )
    .await;
    let rollup = Rollup::new(
        world.pool.clone(),
        &world.redis.prefix,
        db.connect_as(Service::BatchAggregator).await,
        120,
    );
    let end_of_hour = MONDAY + 11 * HOUR;
    for now in [end_of_hour, end_of_hour + 119_000] {
        let report = rollup.run_once(now).await.expect("roll-up");
        assert_eq!(report.buckets, 0, "too early at {now}");
    }
    let report = rollup
        .run_once(end_of_hour + 120_000)
        .await
        .expect("roll-up");
    assert_eq!(
        (report.buckets, report.activity_slots, report.class_slots),
        (1, 1, 1)
    );
}
