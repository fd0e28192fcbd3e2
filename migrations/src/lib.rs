//! The HSI schema as `sea-orm-migration` migrations.
//!
//! Each migration is a pair of SQL files under `src/sql/` so that the exact PostgreSQL
//! (CHECK constraints, enum types, partial, covering, BRIN and GIN indexes, triggers,
//! grants) reads as it runs. Every migration runs in one transaction.

pub use sea_orm_migration::prelude::*;

mod sql_migration;

use sql_migration::SqlMigration;

macro_rules! sql_migration {
    ($name:literal) => {
        SqlMigration {
            name: $name,
            up: include_str!(concat!("sql/", $name, ".up.sql")),
            down: include_str!(concat!("sql/", $name, ".down.sql")),
        }
    };
}

/// Every migration, oldest first.
const MIGRATIONS: &[SqlMigration] = &[
    sql_migration!("m20261121_000001_create_extensions_and_types"),
    sql_migration!("m20261121_000002_create_core_tables"),
    sql_migration!("m20261121_000003_create_analysis_tables"),
    sql_migration!("m20261121_000004_create_configuration_tables"),
    sql_migration!("m20261121_000005_create_operations_tables"),
    sql_migration!("m20261121_000006_create_enrichment_tables"),
    sql_migration!("m20261121_000007_create_search_triggers"),
    sql_migration!("m20261121_000008_create_service_roles"),
    sql_migration!("m20261121_000009_add_detection_frame_size"),
    sql_migration!("m20261121_000010_add_baseline_variance"),
    sql_migration!("m20261121_000011_add_event_audit_judgement"),
    sql_migration!("m20261121_000012_add_alert_rule_uniqueness"),
    sql_migration!("m20261130_000013_create_file_ledger"),
    sql_migration!("m20261130_000014_add_alert_outbox"),
    sql_migration!("m20261201_000015_gateway_keys_and_audit_chain"),
    sql_migration!("m20261201_000016_alert_deliveries"),
    sql_migration!("m20261201_000017_camera_event_counts"),
    sql_migration!("m20261201_000018_judgement_evidence_and_revisions"),
    sql_migration!("m20261201_000019_create_dashboard_reader_role"),
];

/// The migrator that the CLI, the services' start-up check and the tests run.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        MIGRATIONS
            .iter()
            .map(|migration| Box::new(*migration) as Box<dyn MigrationTrait>)
            .collect()
    }
}

/// Names of every migration, oldest first.
pub fn migration_names() -> Vec<&'static str> {
    MIGRATIONS.iter().map(|migration| migration.name).collect()
}

/// A fingerprint of the whole schema's SQL; test harnesses key migrated template
/// databases by it so an edited migration is never served from a stale template.
pub fn schema_fingerprint() -> String {
    // FNV-1a: stable across Rust versions and platforms, unlike DefaultHasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for migration in MIGRATIONS {
        for byte in migration
            .name
            .bytes()
            .chain(migration.up.bytes())
            .chain(migration.down.bytes())
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}
