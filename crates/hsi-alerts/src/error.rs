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
/// Every database variant is transient from the caller's point of view, so the analysis
/// worker should retry the event later; alerts that were already recorded are not
/// recorded twice on the retry.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("database error while {action}: {source}")]
    Database {
        action: &'static str,
        #[source]
        source: sea_orm::DbErr,
    },
    #[error("bad alert settings: {0}")]
    Settings(#[from] hsi_core::settings::SettingsError),
    #[error("cannot build the webhook http client: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("{0}")]
    Corrupt(String),
}

impl AlertError {
    pub(crate) fn db(action: &'static str) -> impl FnOnce(sea_orm::DbErr) -> Self {
        move |source| Self::Database { action, source }
    }
}
