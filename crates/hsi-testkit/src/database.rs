//! A PostgreSQL database per test.

use hsi_core::Service;
use hsi_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const DEFAULT_ADMIN_URL: &str = "postgres://hsi:hsi@127.0.0.1:5432/postgres";
/// Arbitrary constant; every process building a template takes this advisory lock.
const TEMPLATE_LOCK_KEY: i64 = 0x0048_5349_5f74_706c; // "HSI_tpl"

/// URL of the maintenance database as the `hsi` owner role (`HSI_TEST_DATABASE_URL`).
pub fn admin_url() -> String {
    std::env::var("HSI_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// The same server and credentials as `url`, but database `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

fn with_user(url: &str, user: &str, password: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let host_start = rest.find('@').map_or(0, |at| at + 1);
    format!(
        "{}{user}:{password}@{}",
        &url[..scheme_end],
        &rest[host_start..]
    )
}

async fn connect(url: &str, max_connections: u32) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options)
        .await
        .unwrap_or_else(|err| panic!("cannot connect to {url}: {err} (has scripts/bootstrap run?)"))
}

async fn execute(conn: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    conn.execute_unprepared(sql).await.map(|_| ())
}

async fn database_exists(conn: &DatabaseConnection, name: &str) -> bool {
    let row = conn
        .query_one(Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .expect("query pg_database");
    row.is_some()
}

/// A database that exists for one test and is dropped when the value is.
#[derive(Debug)]
pub struct TestDatabase {
    pub name: String,
    /// URL for the owner role (`hsi`), which may do anything.
    pub url: String,
    /// Connection as the owner role.
    pub conn: DatabaseConnection,
}

impl TestDatabase {
    /// A new database holding the whole current schema and nothing else.
    pub async fn migrated() -> Self {
        crate::init_logging();
        let admin = connect(&admin_url(), 1).await;
        let template = ensure_template(&admin).await;
        let name = unique_name();
        let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
        // Cloning fails while anyone is connected to the template; that is only ever
        // a builder that is about to disconnect, so retry briefly.
        let mut attempt = 0;
        while let Err(err) = execute(&admin, &sql).await {
            attempt += 1;
            assert!(attempt < 50, "cannot clone template {template}: {err}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        admin.close().await.ok();
        Self::open(name).await
    }

    /// A new, empty database (no migrations applied), for testing the migrations.
    pub async fn empty() -> Self {
        crate::init_logging();
        let admin = connect(&admin_url(), 1).await;
        let name = unique_name();
        execute(&admin, &format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create empty database");
        admin.close().await.ok();
        Self::open(name).await
    }

    async fn open(name: String) -> Self {
        let url = with_database(&admin_url(), &name);
        let conn = connect(&url, 5).await;
        Self { name, url, conn }
    }

    /// URL that logs in as a service's own role, with that role's secret.
    pub fn url_for(&self, service: Service) -> String {
        let role = service.database_role();
        with_user(&self.url, role, &role_secret(role))
    }

    /// URL that logs in as `role` with `password` (to prove a wrong secret is refused).
    pub fn url_with_password(&self, role: &str, password: &str) -> String {
        with_user(&self.url, role, password)
    }

    /// A connection as a service's own role, subject to that role's grants.
    pub async fn connect_as(&self, service: Service) -> DatabaseConnection {
        connect(&self.url_for(service), 2).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on; a short-lived
        // thread with its own runtime removes the database.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for dropping the test database");
            runtime.block_on(async {
                let admin = connect(&admin_url(), 1).await;
                if let Err(err) = execute(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                )
                .await
                {
                    eprintln!("warning: could not drop test database {name}: {err}");
                }
                admin.close().await.ok();
            });
        })
        .join();
        if dropped.is_err() {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

/// The secret of a service role: `HSI_DB_SECRET_<ROLE>` from the environment, else from
/// the file scripts/bootstrap writes (`HSI_SECRETS`, default
/// `~/.config/hsi/db-secrets.env`), else the owner's password (a machine set up by hand).
pub fn role_secret(role: &str) -> String {
    let var = format!("HSI_DB_SECRET_{}", role.to_ascii_uppercase());
    if let Ok(secret) = std::env::var(&var) {
        return secret;
    }
    let file = std::env::var("HSI_SECRETS").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_owned());
        format!("{home}/.config/hsi/db-secrets.env")
    });
    let from_file = std::fs::read_to_string(&file).ok().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{var}=")).map(str::to_owned))
    });
    from_file
        .unwrap_or_else(|| std::env::var("HSI_DB_PASSWORD").unwrap_or_else(|_| "hsi".to_owned()))
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let serial = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("hsi_test_{}_{serial}_{}", std::process::id(), &random[..8])
}

/// Returns the name of the migrated template for the current schema, building it once
/// (under an advisory lock, so parallel test processes build it only once).
async fn ensure_template(admin: &DatabaseConnection) -> String {
    let template = format!("hsi_tpl_{}", hsi_migrations::schema_fingerprint());
    if database_exists(admin, &template).await {
        return template;
    }
    execute(
        admin,
        &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"),
    )
    .await
    .expect("take the template lock");
    if !database_exists(admin, &template).await {
        build_template(admin, &template).await;
    }
    execute(
        admin,
        &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"),
    )
    .await
    .expect("release the template lock");
    template
}

async fn build_template(admin: &DatabaseConnection, template: &str) {
    let building = format!("{template}_building");
    execute(
        admin,
        &format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
    )
    .await
    .expect("drop a half-built template");
    execute(admin, &format!("CREATE DATABASE \"{building}\""))
        .await
        .expect("create the template database");
    let conn = connect(&with_database(&admin_url(), &building), 1).await;
    Migrator::up(&conn, None)
        .await
        .unwrap_or_else(|err| panic!("migrating the template database failed: {err}"));
    conn.close().await.ok();
    // The rename makes the template visible only once it is complete.
    execute(
        admin,
        &format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\""),
    )
    .await
    .expect("publish the template");
    // Templates of older schema versions are no longer useful.
    let stale = admin
        .query_all(Statement::from_string(
            admin.get_database_backend(),
            format!(
                "SELECT datname FROM pg_database WHERE datname LIKE 'hsi\\_tpl\\_%' AND datname <> '{template}'"
            ),
        ))
        .await
        .expect("list old templates");
    for row in stale {
        let name: String = row.try_get("", "datname").expect("datname");
        let _ = execute(
            admin,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_rewritten_for_database_and_user() {
        let url = "postgres://hsi:pw@127.0.0.1:5432/postgres?sslmode=disable";
        assert_eq!(
            with_database(url, "x"),
            "postgres://hsi:pw@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_user(&with_database(url, "x"), "hsi_gateway", "s"),
            "postgres://hsi_gateway:s@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h/db", "y"), "postgres://h/y");
        assert_eq!(
            with_user("postgres://h/db", "u", "p"),
            "postgres://u:p@h/db"
        );
    }
}
