//! Helpers shared by the schema tests.
#![allow(dead_code)]

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};

/// Runs SQL (possibly several statements) and fails the test on error.
pub async fn exec(conn: &impl ConnectionTrait, sql: &str) {
    conn.execute_unprepared(sql)
        .await
        .unwrap_or_else(|err| panic!("SQL failed: {err}\n{sql}"));
}

/// Runs SQL and returns the error message, or None if it succeeded.
pub async fn try_exec(conn: &impl ConnectionTrait, sql: &str) -> Option<String> {
    conn.execute_unprepared(sql)
        .await
        .err()
        .map(|err| err.to_string())
}

/// Every value of the first column of a query, rendered as text.
pub async fn strings(conn: &impl ConnectionTrait, sql: &str) -> Vec<String> {
    let rows = conn
        .query_all(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|err| panic!("query failed: {err}\n{sql}"));
    rows.iter()
        .map(|row| {
            row.try_get_by_index::<String>(0)
                .expect("first column is text")
        })
        .collect()
}

/// The single value of a query returning one bigint.
pub async fn count(conn: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = conn
        .query_one(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|err| panic!("query failed: {err}\n{sql}"))
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("bigint")
}

/// Runs `sql` in a transaction that is always rolled back, returning its error if any.
pub async fn in_rolled_back_tx(
    conn: &DatabaseConnection,
    statements: &[String],
) -> Result<(), DbErr> {
    let tx = conn.begin().await?;
    let mut result = Ok(());
    for sql in statements {
        if let Err(err) = tx.execute_unprepared(sql).await {
            result = Err(err);
            break;
        }
    }
    tx.rollback().await?;
    result
}

/// Rows every constraint and ownership test can refer to: camera `cam_a`, its detection,
/// event and alert rule (ids returned by the sequences start at 1 in a fresh database).
pub async fn insert_fixture(conn: &impl ConnectionTrait) {
    exec(
        conn,
        "INSERT INTO cameras (id, name, folder_path) VALUES ('cam_a', 'Cam A', '/cams/Cam A');
         INSERT INTO detections (id, camera_id, file_path, object_type, confidence)
             VALUES (1, 'cam_a', '/cams/Cam A/1.jpg', 'person', 0.9);
         INSERT INTO events (id, batch_id, camera_id, started_at) VALUES (1, 'batch-fixture', 'cam_a', now());
         INSERT INTO alert_rules (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'fixture rule');
         SELECT setval('detections_id_seq', 1); SELECT setval('events_id_seq', 1);",
    )
    .await;
}
