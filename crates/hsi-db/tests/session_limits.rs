//! Every pooled connection carries the configured time limits, so a hung query cannot
//! hold a connection (and the message it serves) for good.

use hsi_core::settings::{DatabaseSettings, SecretUrl};
use hsi_core::Service;
use hsi_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

#[tokio::test]
async fn a_query_past_the_statement_timeout_is_cancelled_with_a_clear_error() {
    let db = TestDatabase::migrated().await;
    let settings = DatabaseSettings {
        url: SecretUrl::new(db.url_for(Service::AnalysisWorker)),
        statement_timeout_ms: 200,
        max_connections: 1,
        ..DatabaseSettings::default()
    };
    let conn = hsi_db::connect(&settings).await.expect("connect");
    let slow = conn
        .execute(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_sleep(30)",
        ))
        .await
        .expect_err("a 30 s query must not be allowed to finish");
    assert!(
        slow.to_string().contains("statement timeout"),
        "unexpected error: {slow}"
    );
    // The connection is usable again at once.
    let row = conn
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('statement_timeout') AS limit",
        ))
        .await
        .expect("query")
        .expect("a row");
    assert_eq!(row.try_get::<String>("", "limit").expect("limit"), "200ms");
}
