//! The migrations apply, revert to nothing, and apply again, with `status` right at
//! every step, through both the library and the CLI binary.

mod common;

use common::{count, strings};
use hsi_migrations::{migration_names, Migrator, MigratorTrait};
use hsi_testkit::TestDatabase;
use std::process::Command;

const USER_TABLES: &str = "SELECT count(*) FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'seaql_migrations'";
const ENUM_TYPES: &str =
    "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' AND t.typtype = 'e'";

async fn applied(db: &TestDatabase) -> Vec<String> {
    Migrator::get_applied_migrations(&db.conn)
        .await
        .expect("applied migrations")
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

async fn pending(db: &TestDatabase) -> usize {
    Migrator::get_pending_migrations(&db.conn)
        .await
        .expect("pending migrations")
        .len()
}

fn cli(db: &TestDatabase, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_hsi-migrations"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .output()
        .expect("run the migration CLI");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "hsi-migrations {args:?} failed:\n{text}"
    );
    text
}

#[tokio::test]
async fn up_down_up_with_status_at_each_step() {
    let db = TestDatabase::empty().await;
    let names = migration_names();
    assert_eq!(names.len(), 19);

    Migrator::up(&db.conn, None).await.expect("up");
    assert_eq!(applied(&db).await, names);
    assert_eq!(pending(&db).await, 0);
    assert_eq!(
        count(&db.conn, USER_TABLES).await,
        39,
        "every table of the data model, the file ledger, the processing record, the delivery history and the per-camera event counters"
    );
    assert_eq!(count(&db.conn, ENUM_TYPES).await, 10);

    // Step back one migration at a time, checking status as we go.
    for step in 1..=names.len() {
        Migrator::down(&db.conn, Some(1))
            .await
            .expect("down one step");
        assert_eq!(applied(&db).await, names[..names.len() - step]);
        assert_eq!(pending(&db).await, step);
    }
    assert_eq!(
        count(&db.conn, USER_TABLES).await,
        0,
        "down leaves no table"
    );
    assert_eq!(
        count(&db.conn, ENUM_TYPES).await,
        0,
        "down leaves no enum type"
    );
    assert_eq!(
        count(&db.conn, "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'").await,
        0,
        "down leaves no function"
    );
    assert_eq!(
        count(
            &db.conn,
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"
        )
        .await,
        0
    );

    Migrator::up(&db.conn, None).await.expect("up again");
    assert_eq!(applied(&db).await, names);
    assert_eq!(count(&db.conn, USER_TABLES).await, 39);
    // The singleton settings row is recreated with the schema.
    assert_eq!(
        count(&db.conn, "SELECT count(*) FROM notification_preferences").await,
        1
    );
}

#[tokio::test]
async fn cli_reports_status_and_applies() {
    let db = TestDatabase::empty().await;
    let names = migration_names();

    let before = cli(&db, &["status"]);
    for name in &names {
        let line = before
            .lines()
            .find(|line| line.contains(name))
            .unwrap_or_else(|| panic!("status lists {name}:\n{before}"));
        assert!(line.contains("Pending"), "{name} pending before up: {line}");
    }

    cli(&db, &["up"]);
    let after = cli(&db, &["status"]);
    for name in &names {
        let line = after
            .lines()
            .find(|line| line.contains(name))
            .unwrap_or_else(|| panic!("status lists {name}:\n{after}"));
        assert!(line.contains("Applied"), "{name} applied after up: {line}");
    }

    cli(&db, &["down", "-n", "1"]);
    let tables = strings(
        &db.conn,
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
    .await;
    assert!(
        tables.contains(&"cameras".to_owned()),
        "one step down keeps the tables"
    );
    assert_eq!(pending(&db).await, 1);
    cli(&db, &["fresh"]);
    assert_eq!(pending(&db).await, 0);
}

#[tokio::test]
async fn migrating_twice_is_harmless() {
    let db = TestDatabase::migrated().await;
    Migrator::up(&db.conn, None).await.expect("nothing to do");
    assert_eq!(applied(&db).await, migration_names());
}
