//! `camera_event_counts` (kept by statement triggers on events) always equals counting
//! the events themselves: after inserts one by one and in bulk, reviews, soft deletes,
//! restores, hard deletes, and writers on several connections at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{count, exec};
use hsi_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, Statement};

/// Every camera's (counter, truth) pairs as text, so a mismatch names the camera.
async fn assert_counts_true(db: &TestDatabase, after: &str) {
    let rows = db
        .conn
        .query_all(Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT c.id,
                    coalesce(n.events, 0) AS events, coalesce(n.unreviewed, 0) AS unreviewed,
                    (SELECT count(*) FROM events e WHERE e.camera_id = c.id AND e.deleted_at IS NULL) AS true_events,
                    (SELECT count(*) FROM events e WHERE e.camera_id = c.id AND e.deleted_at IS NULL
                        AND NOT e.reviewed) AS true_unreviewed
             FROM cameras c LEFT JOIN camera_event_counts n ON n.camera_id = c.id ORDER BY c.id"
                .to_owned(),
        ))
        .await
        .expect("counts");
    assert!(!rows.is_empty());
    for row in rows {
        let camera: String = row.try_get("", "id").unwrap();
        let got: (i64, i64) = (
            row.try_get("", "events").unwrap(),
            row.try_get("", "unreviewed").unwrap(),
        );
        let want: (i64, i64) = (
            row.try_get("", "true_events").unwrap(),
            row.try_get("", "true_unreviewed").unwrap(),
        );
        assert_eq!(
            got, want,
            "camera {camera} after {after}: (events, unreviewed)"
        );
    }
}

async fn setup() -> TestDatabase {
    let db = TestDatabase::migrated().await;
    exec(
        &db.conn,
        "INSERT INTO cameras (id, name, folder_path) VALUES
             ('front_door', 'Front Door', '/cams/front'), ('garden', 'Garden', '/cams/garden'),
             ('drive', 'Drive', '/cams/drive');",
    )
    .await;
    db
}

#[tokio::test]
async fn counters_follow_every_kind_of_event_write() {
    let db = setup().await;
    exec(
        &db.conn,
        "INSERT INTO events (batch_id, camera_id, started_at) VALUES ('one', 'front_door', now());",
    )
    .await;
    assert_counts_true(&db, "one insert").await;
    assert_eq!(
        count(
            &db.conn,
            "SELECT events FROM camera_event_counts WHERE camera_id = 'front_door'"
        )
        .await,
        1
    );

    exec(
        &db.conn,
        "INSERT INTO events (batch_id, camera_id, started_at, reviewed)
         SELECT 'bulk-' || n, (ARRAY['front_door', 'garden', 'drive'])[1 + n % 3],
                now() - n * interval '1 minute', n % 4 = 0
         FROM generate_series(1, 300) n;",
    )
    .await;
    assert_counts_true(&db, "a bulk insert over three cameras").await;

    exec(
        &db.conn,
        "UPDATE events SET reviewed = true WHERE id % 5 = 0;",
    )
    .await;
    assert_counts_true(&db, "reviews").await;
    exec(
        &db.conn,
        "UPDATE events SET reviewed = false WHERE id % 10 = 0;",
    )
    .await;
    assert_counts_true(&db, "reviews taken back").await;
    exec(
        &db.conn,
        "UPDATE events SET deleted_at = now() WHERE id % 7 = 0;",
    )
    .await;
    assert_counts_true(&db, "soft deletes").await;
    exec(
        &db.conn,
        "UPDATE events SET reviewed = NOT reviewed WHERE id % 7 = 0 OR id % 3 = 0;",
    )
    .await;
    assert_counts_true(&db, "reviewing deleted and live events together").await;
    exec(
        &db.conn,
        "UPDATE events SET deleted_at = NULL WHERE id % 14 = 0;",
    )
    .await;
    assert_counts_true(&db, "restores").await;
    exec(
        &db.conn,
        "UPDATE events SET summary = 'no count changes' WHERE id % 2 = 0;",
    )
    .await;
    assert_counts_true(&db, "an update of other columns").await;
    exec(&db.conn, "DELETE FROM events WHERE id % 11 = 0;").await;
    assert_counts_true(&db, "hard deletes").await;
    exec(&db.conn, "DELETE FROM events;").await;
    assert_counts_true(&db, "deleting everything").await;
    assert_eq!(
        count(
            &db.conn,
            "SELECT coalesce(sum(events), 0)::bigint FROM camera_event_counts"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn concurrent_writers_on_several_connections_leave_true_counts() {
    let db = setup().await;
    let url = db.url.clone();
    let mut writers = Vec::new();
    for worker in 0..6 {
        let url = url.clone();
        writers.push(tokio::spawn(async move {
            let conn = sea_orm::Database::connect(&url).await.expect("connect");
            for n in 0..40 {
                let camera = ["front_door", "garden", "drive"][(worker + n) % 3];
                // Each statement on its own, as the services write: the analysis
                // worker one event per transaction, the gateway one review at a time,
                // plus a bulk review across cameras.
                exec(
                    &conn,
                    &format!(
                        "INSERT INTO events (batch_id, camera_id, started_at)
                             VALUES ('w{worker}-{n}', '{camera}', now());"
                    ),
                )
                .await;
                exec(
                    &conn,
                    &format!("UPDATE events SET reviewed = NOT reviewed WHERE id % 6 = {worker};"),
                )
                .await;
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    assert_counts_true(&db, "six concurrent writers").await;
    assert_eq!(count(&db.conn, "SELECT count(*) FROM events").await, 240);
}

#[tokio::test]
async fn the_migration_backfills_events_written_before_it() {
    // Down to just before the counters, write events, and migrate up again.
    let db = setup().await;
    exec(
        &db.conn,
        "INSERT INTO events (batch_id, camera_id, started_at, reviewed)
         SELECT 'old-' || n, CASE WHEN n % 2 = 0 THEN 'garden' ELSE 'drive' END, now(), n % 3 = 0
         FROM generate_series(1, 50) n;
         UPDATE events SET deleted_at = now() WHERE id % 5 = 0;",
    )
    .await;
    use sea_orm_migration::MigratorTrait;
    hsi_migrations::Migrator::down(&db.conn, Some(1))
        .await
        .expect("down");
    exec(
        &db.conn,
        "INSERT INTO events (batch_id, camera_id, started_at) VALUES ('between', 'garden', now());",
    )
    .await;
    hsi_migrations::Migrator::up(&db.conn, None)
        .await
        .expect("up");
    assert_counts_true(&db, "the backfill").await;
}
