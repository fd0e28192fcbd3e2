//! `hsi migrate up|status`: the schema, through the migration crate's `Migrator`, as the
//! schema owner (the services' own roles may not change it).

use crate::connect::{connect_database, Target};
use crate::error::CliResult;
use crate::output::{col, text, Output};
use hsi_migrations::{Migrator, MigratorTrait};
use sea_orm_migration::MigrationStatus;
use serde_json::{json, Value};

async fn statuses(db: &sea_orm::DatabaseConnection) -> CliResult<Vec<Value>> {
    Ok(Migrator::get_migration_with_status(db)
        .await?
        .iter()
        .map(|m| {
            let applied = matches!(m.status(), MigrationStatus::Applied);
            json!({"name": m.name(), "status": if applied { "applied" } else { "pending" }})
        })
        .collect())
}

fn show(out: Output, migrations: &[Value]) -> CliResult<()> {
    let pending = migrations
        .iter()
        .filter(|m| m["status"] == "pending")
        .count();
    let doc = json!({"migrations": migrations, "pending": pending});
    out.table(
        &doc,
        migrations,
        &[
            col("MIGRATION", |r| text(r, "name")),
            col("STATUS", |r| text(r, "status")),
        ],
    )?;
    if !out.json {
        out.note(&format!(
            "{} applied, {pending} pending",
            migrations.len() - pending
        ));
    }
    Ok(())
}

/// `hsi migrate status`.
pub async fn status(target: &Target, out: Output) -> CliResult<()> {
    let settings = target.settings()?;
    let db = connect_database(&settings.database.url, false).await?;
    show(out, &statuses(&db).await?)
}

/// `hsi migrate up`: applies every pending migration, each in its own transaction.
pub async fn up(target: &Target, out: Output) -> CliResult<()> {
    let settings = target.settings()?;
    let db = connect_database(&settings.database.url, false).await?;
    let before = statuses(&db).await?;
    let pending = before.iter().filter(|m| m["status"] == "pending").count();
    Migrator::up(&db, None).await?;
    if !out.json {
        out.note(&format!("applied {pending} migration(s)"));
    }
    show(out, &statuses(&db).await?)
}
