//! Where the CLI connects: the gateway's REST API with a key, or PostgreSQL and Redis
//! directly (for what must work while the gateway is down). Direct connections read the
//! gateway's settings (defaults, then `--config`/`HSI_CONFIG`, then `HSI__...`
//! variables), so an operator on a gateway host needs no flags; `--database-url`,
//! `--redis-url` and `--redis-prefix` override them.

use crate::api::ApiClient;
use crate::error::{CliError, CliResult};
use hsi_api_gateway::auth::Caller;
use hsi_api_gateway::{App, Settings};
use hsi_core::settings::{Secret, SecretUrl, SettingsLoader};
use hsi_queue::RedisPool;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::path::PathBuf;
use std::time::Duration;

/// Longest a direct connection may take before the CLI says it is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The name the audit trail records for what the CLI does directly.
pub const ACTOR: &str = "hsi-cli";

/// The connection options given on the command line or in the environment.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub api: String,
    pub key: Option<Secret>,
    pub config: Option<PathBuf>,
    pub database_url: Option<SecretUrl>,
    pub redis_url: Option<SecretUrl>,
    pub redis_prefix: Option<String>,
}

impl Target {
    /// A client of the gateway's REST API; fails when no key was given.
    pub fn api(&self) -> CliResult<ApiClient> {
        let key = self.key.clone().filter(|k| !k.is_empty()).ok_or_else(|| {
            CliError::Usage(
                "this command talks to the gateway and needs an API key: give --key or set \
                 HSI_API_KEY"
                    .to_owned(),
            )
        })?;
        ApiClient::new(&self.api, key)
    }

    /// The gateway's settings with the command-line overrides applied.
    pub fn settings(&self) -> CliResult<Settings> {
        let mut loader = SettingsLoader::new().file_from_env();
        if let Some(path) = &self.config {
            loader = loader.file(path);
        }
        let mut settings = loader.load::<Settings>()?.settings;
        if let Some(url) = &self.database_url {
            settings.database.url = url.clone();
        }
        if let Some(url) = &self.redis_url {
            settings.redis.url = url.clone();
        }
        if let Some(prefix) = &self.redis_prefix {
            settings.redis.key_prefix = prefix.clone();
        }
        // One operator command needs few connections, and should fail fast.
        settings.database.max_connections = 2;
        settings.database.min_connections = 0;
        settings.database.connect_timeout_secs = CONNECT_TIMEOUT.as_secs();
        settings.database.acquire_timeout_secs = CONNECT_TIMEOUT.as_secs();
        settings.redis.pool_size = 4;
        settings.database.validate("database")?;
        settings.redis.validate("redis")?;
        Ok(settings)
    }

    /// Direct connections for commands that need PostgreSQL.
    pub async fn with_database(&self) -> CliResult<Direct> {
        let settings = self.settings()?;
        let db = connect_database(&settings.database.url, false).await?;
        Direct::new(settings, db)
    }

    /// Direct connections for commands that need only Redis: PostgreSQL is connected
    /// lazily, so they work while it is down (until something needs it).
    pub async fn with_redis(&self) -> CliResult<Direct> {
        let settings = self.settings()?;
        let db = connect_database(&settings.database.url, true).await?;
        let direct = Direct::new(settings, db)?;
        direct.ping_redis().await?;
        Ok(direct)
    }
}

/// PostgreSQL and Redis as the gateway's service layer uses them.
#[derive(Debug, Clone)]
pub struct Direct {
    pub app: App,
    pub caller: Caller,
}

impl Direct {
    pub fn new(settings: Settings, db: DatabaseConnection) -> CliResult<Self> {
        let redis = hsi_queue::redis_pool(&settings.redis)?;
        let app = App::new(db, redis, settings).map_err(|err| CliError::Usage(err.to_string()))?;
        Ok(Self {
            app,
            caller: Caller::local(ACTOR),
        })
    }

    pub fn redis(&self) -> &RedisPool {
        &self.app.redis
    }

    pub fn prefix(&self) -> &str {
        &self.app.settings.redis.key_prefix
    }

    /// Fails with the Redis URL (password masked) when Redis does not answer.
    pub async fn ping_redis(&self) -> CliResult<()> {
        let unreachable = |reason: String| CliError::Unreachable {
            what: "redis",
            url: self.app.settings.redis.url.masked(),
            reason,
        };
        let ping = async {
            let mut conn = self.app.redis.get().await.map_err(|e| e.to_string())?;
            redis::cmd("PING")
                .query_async::<String>(&mut *conn)
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(reason)) => Err(unreachable(reason)),
            Err(_) => Err(unreachable(format!(
                "no answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// Connects to `url`; `lazy` opens connections only when first used.
pub async fn connect_database(url: &SecretUrl, lazy: bool) -> CliResult<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.expose().to_owned());
    options
        .max_connections(2)
        .min_connections(0)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false)
        .connect_lazy(lazy);
    Database::connect(options)
        .await
        .map_err(|err| CliError::Unreachable {
            what: "postgresql",
            url: url.masked(),
            reason: err.to_string(),
        })
}
