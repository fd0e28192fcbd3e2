//! Typed settings: compiled-in defaults, then an optional file, then `HSI__SECTION__KEY`
//! environment variables. Every service prints the effective settings (secrets masked)
//! and refuses a bad value with a message naming its key.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Prefix of every environment variable that sets a key (`HSI__DATABASE__URL`).
pub const ENV_PREFIX: &str = "HSI";
/// Separator between the prefix, the sections and the key in environment variables.
pub const ENV_SEPARATOR: &str = "__";

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("settings file {path} could not be read: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: Box<config::ConfigError>,
    },
    #[error("bad setting: {0}")]
    Parse(#[source] Box<config::ConfigError>),
    #[error("bad setting {key}: {message}")]
    Invalid { key: String, message: String },
}

impl SettingsError {
    /// A value that parsed but is not acceptable.
    pub fn invalid(key: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::Invalid {
            key: key.into(),
            message: message.to_string(),
        }
    }
}

/// Checks that go beyond types (ranges, relations between keys).
pub trait Validate {
    /// Returns the first problem found, naming its key.
    fn validate(&self) -> Result<(), SettingsError> {
        Ok(())
    }
}

/// Where settings come from; build one with [`SettingsLoader::new`].
#[derive(Debug, Default, Clone)]
pub struct SettingsLoader {
    file: Option<PathBuf>,
    env: Option<HashMap<String, String>>,
}

impl SettingsLoader {
    /// Reads the process environment and no file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a settings file (TOML); it must exist when given.
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        self.file = Some(path.as_ref().to_path_buf());
        self
    }

    /// Uses the file named by `HSI_CONFIG` when that variable is set.
    pub fn file_from_env(self) -> Self {
        match std::env::var_os("HSI_CONFIG") {
            Some(path) if !path.is_empty() => self.file(PathBuf::from(path)),
            _ => self,
        }
    }

    /// Replaces the process environment (for tests).
    pub fn env(mut self, vars: HashMap<String, String>) -> Self {
        self.env = Some(vars);
        self
    }

    /// Loads, then validates, the settings; unknown keys are returned so callers can warn.
    pub fn load<T>(&self) -> Result<Loaded<T>, SettingsError>
    where
        T: DeserializeOwned + Default + Validate,
    {
        let mut builder = config::Config::builder();
        if let Some(path) = &self.file {
            let source = config::File::from(path.as_path())
                .format(config::FileFormat::Toml)
                .required(true);
            // Read the file alone first so a broken file is reported against its path.
            config::Config::builder()
                .add_source(source.clone())
                .build()
                .map_err(|source| SettingsError::File {
                    path: path.clone(),
                    source: Box::new(source),
                })?;
            builder = builder.add_source(source);
        }
        let env = config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator(ENV_SEPARATOR)
            .separator(ENV_SEPARATOR)
            .try_parsing(true)
            .source(self.env.clone());
        let merged = builder
            .add_source(env)
            .build()
            .map_err(|err| SettingsError::Parse(Box::new(err)))?;
        let mut unknown_keys = Vec::new();
        let settings: T = serde_ignored::deserialize(merged, |path| {
            unknown_keys.push(path.to_string());
        })
        .map_err(|err| SettingsError::Parse(Box::new(err)))?;
        settings.validate()?;
        Ok(Loaded {
            settings,
            unknown_keys,
        })
    }
}

/// Settings plus the keys that were given but mean nothing to this service.
#[derive(Debug)]
pub struct Loaded<T> {
    pub settings: T,
    pub unknown_keys: Vec<String>,
}

/// Renders settings as one line of JSON with every secret masked, for the start-up log.
pub fn describe<T: Serialize>(settings: &T) -> String {
    serde_json::to_string(settings).unwrap_or_else(|err| format!("<unprintable settings: {err}>"))
}

/// A secret string: never printed, serialised or logged in clear.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"****\""
        })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(if self.0.is_empty() { "" } else { "****" })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// A connection URL whose password is masked when printed (`postgres://hsi:****@host/db`).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its password, for the connection pool.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `****`.
    pub fn masked(&self) -> String {
        mask_url_password(&self.0)
    }
}

fn mask_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:****{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.masked())
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for SecretUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Accepts a list either as a sequence or as one comma-separated string, so list keys
/// can be set from an environment variable (`HSI__DETECTOR__KEPT_CLASSES=person,car`).
pub fn comma_list<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        String(String),
    }
    Ok(match ListOrString::deserialize(deserializer)? {
        ListOrString::List(items) => items,
        ListOrString::String(text) => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// Checks an internal gRPC server's `listen` and `token` under `section`: bound to
/// anything but loopback, it must require a token, and a token must be long enough not
/// to be guessed.
pub fn validate_internal_grpc(
    section: &str,
    listen: Option<std::net::SocketAddr>,
    token: &Secret,
) -> Result<(), SettingsError> {
    const MIN_TOKEN_CHARS: usize = 16;
    if !token.is_empty() && token.expose().chars().count() < MIN_TOKEN_CHARS {
        return Err(SettingsError::invalid(
            format!("{section}.token"),
            format!("must be at least {MIN_TOKEN_CHARS} characters"),
        ));
    }
    match listen {
        Some(addr) if !addr.ip().is_loopback() && token.is_empty() => Err(SettingsError::invalid(
            format!("{section}.token"),
            format!(
                "is required because {section}.listen ({addr}) is reachable beyond this host; \
                 set a shared token, or listen on 127.0.0.1"
            ),
        )),
        _ => Ok(()),
    }
}

/// Connection to PostgreSQL; each service connects as its own role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretUrl,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub acquire_timeout_secs: u64,
    /// Longest one statement may run before PostgreSQL cancels it, so a hung query
    /// cannot pin a message and a connection for good (0 turns the limit off).
    pub statement_timeout_ms: u64,
    /// Longest a transaction may sit idle holding its locks before PostgreSQL ends the
    /// session (a process frozen mid-transaction); 0 turns the limit off.
    pub idle_in_transaction_timeout_ms: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretUrl::new("postgres://hsi:hsi@127.0.0.1:5432/hsi"),
            max_connections: 10,
            min_connections: 1,
            connect_timeout_secs: 5,
            acquire_timeout_secs: 10,
            statement_timeout_ms: 30_000,
            idle_in_transaction_timeout_ms: 60_000,
        }
    }
}

impl DatabaseSettings {
    /// Checks the keys under `database`.
    pub fn validate(&self, section: &str) -> Result<(), SettingsError> {
        let url = self.url.expose();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(SettingsError::invalid(
                format!("{section}.url"),
                format!("{:?} is not a postgres:// URL", self.url.masked()),
            ));
        }
        if self.max_connections == 0 {
            return Err(SettingsError::invalid(
                format!("{section}.max_connections"),
                "must be at least 1",
            ));
        }
        if self.min_connections > self.max_connections {
            return Err(SettingsError::invalid(
                format!("{section}.min_connections"),
                format!(
                    "{} is above max_connections {}",
                    self.min_connections, self.max_connections
                ),
            ));
        }
        Ok(())
    }
}

/// Connection to Redis and the prefix put before every key this deployment uses.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    pub url: SecretUrl,
    pub key_prefix: String,
    pub pool_size: usize,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: SecretUrl::new("redis://127.0.0.1:6379/0"),
            key_prefix: "hsi:".to_owned(),
            pool_size: 16,
        }
    }
}

impl RedisSettings {
    /// Checks the keys under `redis`.
    pub fn validate(&self, section: &str) -> Result<(), SettingsError> {
        let url = self.url.expose();
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            return Err(SettingsError::invalid(
                format!("{section}.url"),
                format!("{:?} is not a redis:// URL", self.url.masked()),
            ));
        }
        if self.pool_size == 0 {
            return Err(SettingsError::invalid(
                format!("{section}.pool_size"),
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
