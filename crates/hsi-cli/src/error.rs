//! What can go wrong, each with the exit code a script can act on.

/// Exit codes beyond 0 (done) and 1 (any other failure).
pub mod exit {
    /// The command line or the settings were wrong (clap uses 2 as well).
    pub const USAGE: u8 = 2;
    /// The gateway, PostgreSQL or Redis could not be reached.
    pub const UNREACHABLE: u8 = 3;
    /// The API key was refused, or lacks the scope the call needs.
    pub const AUTH: u8 = 4;
    /// What was named does not exist.
    pub const NOT_FOUND: u8 = 5;
    /// Ctrl-C stopped a long operation part-way (what was done stays done).
    pub const INTERRUPTED: u8 = 130;
}

/// Why a command failed. Messages are lowercase and name the offending value.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("bad settings: {0}")]
    Settings(#[from] hsi_core::settings::SettingsError),
    #[error("{what} unreachable at {url}: {reason}")]
    Unreachable {
        what: &'static str,
        /// With any password masked.
        url: String,
        reason: String,
    },
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    NotFound(String),
    /// The gateway (or its service layer, run here) refused the request.
    #[error("{message}")]
    Api { code: String, message: String },
    #[error("postgresql: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("redis: {0}")]
    Queue(#[from] hsi_queue::QueueError),
    #[error("{0}")]
    Other(String),
    #[error("interrupted after {done} of {total}; {left}")]
    Interrupted { done: u64, total: u64, left: String },
    #[error("HSI is {overall}; not serving: {parts}")]
    Unhealthy {
        overall: String,
        parts: String,
        /// PostgreSQL or Redis is down.
        core_down: bool,
    },
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Settings(_) => exit::USAGE,
            Self::Unreachable { .. } => exit::UNREACHABLE,
            Self::Auth(_) => exit::AUTH,
            Self::NotFound(_) => exit::NOT_FOUND,
            Self::Api { code, .. } => match code.as_str() {
                "unauthenticated" | "permission_denied" => exit::AUTH,
                "not_found" => exit::NOT_FOUND,
                "invalid_argument" => exit::USAGE,
                "unavailable" => exit::UNREACHABLE,
                _ => 1,
            },
            Self::Queue(err) if err.is_transient() => exit::UNREACHABLE,
            Self::Interrupted { .. } => exit::INTERRUPTED,
            Self::Unhealthy {
                core_down: true, ..
            } => exit::UNREACHABLE,
            _ => 1,
        }
    }
}

impl From<hsi_api_gateway::error::ApiError> for CliError {
    /// The gateway's own service functions, run in this process against PostgreSQL and
    /// Redis, fail with the same codes the API would answer.
    fn from(err: hsi_api_gateway::error::ApiError) -> Self {
        let message = match &err.field {
            Some(field) => format!("bad {field}: {}", err.message),
            None => err.message.clone(),
        };
        Self::Api {
            code: err.code.as_str().to_owned(),
            message,
        }
    }
}

/// Results of the CLI library.
pub type CliResult<T> = Result<T, CliError>;
