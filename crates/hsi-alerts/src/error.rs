//! Errors of the alert engine.

use uuid::Uuid;

/// A rule row that cannot be turned into an [`AlertRule`](crate::AlertRule).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert rule {rule_id} ({rule_name:?}): field {field}: {message}")]
pub struct RuleError {
    pub rule_id: Uuid,
    pub rule_name: String,
    /// The column (or `column.key`) that holds the bad value.
    pub field: String,
    pub message: String,
}

/// Why [`AlertEngine::on_event`](crate::AlertEngine::on_event) could not finish.
///
/// Every variant is transient from the caller's point of view (the database or Redis
/// is unreachable), so the analysis worker should retry the event later; alerts that
/// were already recorded are not recorded twice on the retry.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("database error while {action}: {source}")]
    Database {
        action: &'static str,
        #[source]
        source: sea_orm::DbErr,
    },
    #[error("redis error while {action}: {source}")]
    Redis {
        action: &'static str,
        #[source]
        source: redis::RedisError,
    },
    #[error("no redis connection while {action}: {source}")]
    RedisPool {
        action: &'static str,
        #[source]
        source: deadpool_redis::PoolError,
    },
    #[error("bad alert settings: {0}")]
    Settings(#[from] hsi_core::settings::SettingsError),
    #[error("cannot build the webhook http client: {0}")]
    HttpClient(#[source] reqwest::Error),
}

impl AlertError {
    pub(crate) fn db(action: &'static str) -> impl FnOnce(sea_orm::DbErr) -> Self {
        move |source| Self::Database { action, source }
    }

    pub(crate) fn redis(action: &'static str) -> impl FnOnce(redis::RedisError) -> Self {
        move |source| Self::Redis { action, source }
    }

    pub(crate) fn pool(action: &'static str) -> impl FnOnce(deadpool_redis::PoolError) -> Self {
        move |source| Self::RedisPool { action, source }
    }
}
