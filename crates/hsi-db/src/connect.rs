//! Connection pools built from settings.

use hsi_core::retry::Backoff;
use hsi_core::settings::DatabaseSettings;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Opens a pool as configured; the URL names the service's own role. Every session
/// carries the configured `statement_timeout` and `idle_in_transaction_session_timeout`
/// (startup options, applied before its first statement), so no query and no forgotten
/// transaction can hold a connection or its locks for good.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.url.expose().to_owned());
    let limits = session_limits(settings);
    options
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
        // Statement logging would print every query at info; services log what matters.
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(move |pg| pg.options(limits.clone()));
    Database::connect(options).await
}

/// The session settings every connection starts with (0 leaves a limit off).
pub fn session_limits(settings: &DatabaseSettings) -> Vec<(&'static str, u64)> {
    [
        ("statement_timeout", settings.statement_timeout_ms),
        (
            "idle_in_transaction_session_timeout",
            settings.idle_in_transaction_timeout_ms,
        ),
    ]
    .into_iter()
    .filter(|(_, ms)| *ms > 0)
    .collect()
}

/// Connects, waiting out a database that is not up yet (a service starting before
/// PostgreSQL in a compose file or a cluster): retries with back-off up to 10 s until it
/// connects, or returns `None` once `shutdown` is cancelled.
pub async fn connect_with_retry(
    settings: &DatabaseSettings,
    shutdown: &CancellationToken,
) -> Option<DatabaseConnection> {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        let connected = tokio::select! {
            () = shutdown.cancelled() => return None,
            connected = connect(settings) => connected,
        };
        match connected {
            Ok(db) => return Some(db),
            Err(err) => {
                tracing::warn!(url = %settings.url.masked(), error = %err, "database unavailable, retrying");
                if !backoff.wait(shutdown).await {
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_limits_are_left_off() {
        let mut settings = DatabaseSettings {
            statement_timeout_ms: 1500,
            idle_in_transaction_timeout_ms: 0,
            ..DatabaseSettings::default()
        };
        assert_eq!(session_limits(&settings), [("statement_timeout", 1500)]);
        settings.idle_in_transaction_timeout_ms = 9;
        assert_eq!(session_limits(&settings).len(), 2);
    }
}
