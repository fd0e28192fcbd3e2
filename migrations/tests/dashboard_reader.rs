//! Grafana's datasource role reads what the judgement and logs dashboards show (events,
//! log lines, cameras) and nothing else: no API keys, no audit trail, no alert
//! destinations, and it writes nothing.

mod common;

use hsi_testkit::TestDatabase;

async fn may(db: &TestDatabase, table: &str, privilege: &str) -> bool {
    let answer = common::strings(
        &db.conn,
        &format!("SELECT has_table_privilege('hsi_grafana', '{table}', '{privilege}')::text"),
    )
    .await;
    answer == ["true"]
}

#[tokio::test]
async fn the_dashboard_role_reads_events_logs_and_cameras_only() {
    let db = TestDatabase::migrated().await;
    for table in ["events", "logs", "cameras"] {
        assert!(
            may(&db, table, "SELECT").await,
            "hsi_grafana cannot read {table}"
        );
        for write in ["INSERT", "UPDATE", "DELETE"] {
            assert!(
                !may(&db, table, write).await,
                "hsi_grafana may {write} {table}"
            );
        }
    }
    for secret in [
        "api_keys",
        "audit_logs",
        "alert_rules",
        "alert_deliveries",
        "prompt_configs",
        "media_files",
    ] {
        assert!(
            !may(&db, secret, "SELECT").await,
            "hsi_grafana may read {secret}"
        );
    }
}
