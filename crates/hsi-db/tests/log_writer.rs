//! Warnings logged by a service land in the `logs` table with their span keys, searchable
//! by full text; a database that refuses the lines costs lines, never the service.

use hsi_core::log_capture::{self, DbLogLevel, LogReceiver};
use hsi_core::Service;
use hsi_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt;

/// Logs what `body` logs through a capture layer; the buffer's other end.
fn captured(body: impl FnOnce()) -> LogReceiver {
    let (layer, receiver) = log_capture::layer(DbLogLevel::Warn, 64).expect("copying is on");
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), body);
    receiver
}

#[tokio::test]
async fn warnings_reach_the_logs_table_with_their_keys_and_are_searchable() {
    let db = TestDatabase::migrated().await;
    let conn = db.connect_as(Service::AnalysisWorker).await;
    let receiver = captured(|| {
        let span = tracing::info_span!("judge", camera_id = "front_door", event_id = 12_i64);
        let _entered = span.enter();
        tracing::info!("not copied: below the level");
        tracing::warn!(duration_ms = 4200_u64, "llm answered slowly");
        tracing::error!(detection_id = 3_i64, "webhook receiver refused the alert");
    });
    let cancel = CancellationToken::new();
    let writer = tokio::spawn(hsi_db::log_writer::run(
        conn,
        receiver,
        "analysis-worker",
        cancel.clone(),
    ));

    let rows = wait_for_rows(&db, 2).await;
    cancel.cancel();
    writer.await.expect("the writer ends cleanly");
    assert_eq!(
        rows,
        vec![
            (
                "WARNING".to_owned(),
                "analysis-worker".to_owned(),
                "llm answered slowly".to_owned(),
                Some("front_door".to_owned()),
                Some(12),
                None,
                Some(4200)
            ),
            (
                "ERROR".to_owned(),
                "analysis-worker".to_owned(),
                "webhook receiver refused the alert".to_owned(),
                Some("front_door".to_owned()),
                Some(12),
                Some(3),
                None
            ),
        ]
    );
    let found = db
        .conn
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM logs WHERE search_vector @@ websearch_to_tsquery('english', 'webhook refused')",
        ))
        .await
        .expect("search")
        .expect("a row");
    assert_eq!(found.try_get::<i64>("", "n").expect("n"), 1);
}

#[tokio::test]
async fn a_database_that_refuses_the_lines_does_not_hold_up_shutdown() {
    // No migrations: the `logs` table does not exist, so every insert fails.
    let db = TestDatabase::empty().await;
    let receiver = captured(|| tracing::warn!("nowhere to go"));
    let cancel = CancellationToken::new();
    let writer = tokio::spawn(hsi_db::log_writer::run(
        db.conn.clone(),
        receiver,
        "gateway",
        cancel.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    cancel.cancel();
    // The drain deadline is 3 s; the writer must give up within it, not retry forever.
    tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .expect("the writer stops within its drain deadline")
        .expect("the writer does not panic");
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
);

async fn wait_for_rows(db: &TestDatabase, want: usize) -> Vec<Row> {
    for _ in 0..100 {
        let rows = db
            .conn
            .query_all(Statement::from_string(
                DbBackend::Postgres,
                "SELECT level, component, message, camera_id, event_id, detection_id, duration_ms \
                 FROM logs ORDER BY id",
            ))
            .await
            .expect("read logs");
        if rows.len() >= want {
            return rows
                .iter()
                .map(|r| {
                    (
                        r.try_get("", "level").expect("level"),
                        r.try_get("", "component").expect("component"),
                        r.try_get("", "message").expect("message"),
                        r.try_get("", "camera_id").expect("camera_id"),
                        r.try_get("", "event_id").expect("event_id"),
                        r.try_get("", "detection_id").expect("detection_id"),
                        r.try_get("", "duration_ms").expect("duration_ms"),
                    )
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {want} rows reached the logs table within 10 s");
}
