//! Connection pools built from settings.

use hsi_core::settings::DatabaseSettings;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Opens a pool as configured; the URL names the service's own role.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.url.expose().to_owned());
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        // Statement logging would print every query at info; services log what matters.
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Connects, waiting out a database that is not up yet (a service starting before
/// PostgreSQL in a compose file or a cluster): retries with back-off up to 10 s, for ever.
/// Callers race it against their shutdown signal.
pub async fn connect_with_retry(settings: &DatabaseSettings) -> DatabaseConnection {
    let mut delay = Duration::from_millis(200);
    loop {
        match connect(settings).await {
            Ok(db) => return db,
            Err(err) => {
                tracing::warn!(url = %settings.url.masked(), error = %err, retry_in_ms = delay.as_millis() as u64, "database unavailable, retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}
