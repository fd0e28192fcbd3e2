//! `hsi-gateway api-key create NAME [--scope read|operator|admin]`, `api-key list` and
//! `api-key revoke ID`: managing keys where no key exists yet (the first one).

use crate::settings::Settings;
use hsi_core::settings::SettingsLoader;
use std::io::Write as _;
use std::process::ExitCode;

const USAGE: &str =
    "usage: hsi-gateway api-key create NAME [--scope read|operator|admin] [--config FILE]\n       \
                     hsi-gateway api-key list [--config FILE]\n       \
                     hsi-gateway api-key revoke ID [--config FILE]";

/// Runs an `api-key` subcommand; the key is printed once, on standard output.
pub fn api_key(args: &[String]) -> ExitCode {
    let mut positional = Vec::new();
    let mut scope = "read".to_owned();
    let mut loader = SettingsLoader::new().file_from_env();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--scope" => match rest.next() {
                Some(value) => scope = value.clone(),
                None => return usage("--scope needs a value"),
            },
            "--config" | "-c" => match rest.next() {
                Some(path) => loader = loader.file(path),
                None => return usage("--config needs a file"),
            },
            "--help" | "-h" => {
                eprintln!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other if other.starts_with("--") => return usage(&format!("unknown option {other}")),
            other => positional.push(other.to_owned()),
        }
    }
    let settings = match loader.load::<Settings>() {
        Ok(loaded) => loaded.settings,
        Err(err) => {
            eprintln!("hsi-gateway: {err}");
            return ExitCode::from(hsi_core::service_main::EXIT_BAD_CONFIG);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("hsi-gateway: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let db = hsi_db::connect(&settings.database)
            .await
            .map_err(|err| format!("cannot connect to the database: {err}"))?;
        match positional
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["create", name] => {
                let created = crate::resources::keys::create_key(&db, name, &scope, "cli")
                    .await
                    .map_err(|err| match &err.field {
                        Some(field) => format!("bad {field}: {err}"),
                        None => err.to_string(),
                    })?;
                let key = created.key.unwrap_or_default();
                eprintln!(
                    "created API key {} ({:?}, scope {}); it is shown only this once:",
                    key.id, key.name, key.scope
                );
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", created.secret).map_err(|err| err.to_string())?;
                Ok(())
            }
            ["list"] => {
                let lines = list_keys(&db).await.map_err(|err| err.to_string())?;
                let mut out = std::io::stdout().lock();
                for line in lines {
                    writeln!(out, "{line}").map_err(|err| err.to_string())?;
                }
                Ok(())
            }
            ["revoke", id] => {
                let id: i32 = id.parse().map_err(|_| format!("{id:?} is not a key id"))?;
                revoke_key(&db, id).await.map_err(|err| err.to_string())?;
                eprintln!("revoked API key {id}");
                Ok(())
            }
            _ => Err(USAGE.to_owned()),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("hsi-gateway: {err}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("hsi-gateway: {problem}\n{USAGE}");
    ExitCode::from(hsi_core::service_main::EXIT_BAD_CONFIG)
}

async fn list_keys(db: &sea_orm::DatabaseConnection) -> Result<Vec<String>, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, name, scope, coalesce(key_id, '') AS key_id, revoked_at IS NOT NULL AS revoked \
             FROM api_keys ORDER BY id",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(format!(
                "{}\t{}\t{}\thsi_{}_…\t{}",
                row.try_get::<i32>("", "id")?,
                row.try_get::<String>("", "name")?,
                row.try_get::<String>("", "scope")?,
                row.try_get::<String>("", "key_id")?,
                if row.try_get::<bool>("", "revoked")? {
                    "revoked"
                } else {
                    "active"
                }
            ))
        })
        .collect()
}

async fn revoke_key(db: &sea_orm::DatabaseConnection, id: i32) -> Result<(), String> {
    use sea_orm::{ConnectionTrait, Statement};
    let done = db
        .execute(Statement::from_sql_and_values(
            db.get_database_backend(),
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), is_active = false WHERE id = $1",
            [id.into()],
        ))
        .await
        .map_err(|err| err.to_string())?;
    if done.rows_affected() == 0 {
        return Err(format!("API key {id} does not exist"));
    }
    Ok(())
}
