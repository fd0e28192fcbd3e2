//! The gateway's settings.

use hsi_core::metrics_export::MetricsSettings;
use hsi_core::settings::{
    comma_list, DatabaseSettings, RedisSettings, Secret, SecretUrl, SettingsError, Validate,
};
use hsi_core::telemetry::TelemetrySettings;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything the gateway reads at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub telemetry: TelemetrySettings,
    pub metrics: MetricsSettings,
    pub http: HttpSettings,
    pub grpc: GrpcSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub media: MediaSettings,
    pub services: ServiceEndpoints,
    pub live: LiveSettings,
    pub console: ConsoleSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings {
                url: SecretUrl::new("postgres://hsi_gateway@127.0.0.1:5432/hsi"),
                ..DatabaseSettings::default()
            },
            redis: RedisSettings::default(),
            telemetry: TelemetrySettings::default(),
            metrics: MetricsSettings::default(),
            http: HttpSettings::default(),
            grpc: GrpcSettings::default(),
            auth: AuthSettings::default(),
            rate_limit: RateLimitSettings::default(),
            media: MediaSettings::default(),
            services: ServiceEndpoints::default(),
            live: LiveSettings::default(),
            console: ConsoleSettings::default(),
        }
    }
}

/// REST and WebSocket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Unset turns REST off.
    pub listen: Option<SocketAddr>,
    /// Largest JSON body accepted.
    pub max_body_bytes: usize,
    /// Largest image accepted by "detect now".
    pub max_upload_bytes: usize,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers are believed (addresses or
    /// CIDR blocks); from anyone else those headers are ignored.
    #[serde(deserialize_with = "comma_list")]
    pub trusted_proxies: Vec<String>,
    /// Longest a request may take before it is answered 503.
    pub request_timeout_ms: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            max_body_bytes: 256 * 1024,
            max_upload_bytes: 16 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            request_timeout_ms: 30_000,
        }
    }
}

impl HttpSettings {
    /// The trusted proxies as networks (validated at start).
    pub fn trusted_networks(&self) -> Vec<IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|text| parse_network(text).ok())
            .collect()
    }
}

fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an address nor a CIDR block"))
}

/// The public gRPC API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcSettings {
    /// Unset turns gRPC off.
    pub listen: Option<SocketAddr>,
    /// Largest message accepted (detect-now images travel in one).
    pub max_message_bytes: usize,
}

impl Default for GrpcSettings {
    fn default() -> Self {
        Self {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 50051))),
            max_message_bytes: 16 * 1024 * 1024,
        }
    }
}

/// API keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Off only for a gateway nobody else can reach; every call then acts as admin.
    pub enabled: bool,
    /// How long a verified key is remembered before PostgreSQL is asked again (a
    /// revocation made on another replica takes at most this long to apply).
    pub cache_ttl_ms: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            cache_ttl_ms: 5_000,
        }
    }
}

/// Sliding-window limits, shared by every replica through Redis.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub window_ms: u64,
    /// Requests one key may make per window.
    pub per_key: u64,
    /// Requests one client address may make per window (with or without a key).
    pub per_address: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            window_ms: 60_000,
            // A console scrolling a busy timeline asks for an event's detail and picture
            // per card that comes to rest (up to 64 requests a screen): 100 a second
            // for a key leaves people room and still bounds a runaway script.
            per_key: 6_000,
            per_address: 12_000,
        }
    }
}

/// Where images may be served from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSettings {
    /// Folders images are served from (the camera root and the thumbnails folder);
    /// a path outside them, or a link leading out of them, is refused.
    #[serde(deserialize_with = "comma_list_paths")]
    pub roots: Vec<PathBuf>,
    /// `Cache-Control: max-age` of images (their bytes never change under a path).
    pub cache_max_age_secs: u64,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            roots: vec![
                PathBuf::from("/var/lib/hsi/cameras"),
                PathBuf::from("/var/lib/hsi/thumbnails"),
            ],
            cache_max_age_secs: 86_400,
        }
    }
}

fn comma_list_paths<'de, D>(deserializer: D) -> Result<Vec<PathBuf>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(comma_list(deserializer)?
        .into_iter()
        .map(PathBuf::from)
        .collect())
}

/// The other services' gRPC APIs (detect now, re-analyse, health).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceEndpoints {
    pub detection_worker: String,
    pub analysis_worker: String,
    /// The shared token of the internal gRPC APIs.
    pub token: Secret,
    /// Longest a forwarded call may take.
    pub timeout_ms: u64,
}

impl Default for ServiceEndpoints {
    fn default() -> Self {
        Self {
            detection_worker: "http://127.0.0.1:50061".to_owned(),
            analysis_worker: "http://127.0.0.1:50062".to_owned(),
            token: Secret::default(),
            timeout_ms: 60_000,
        }
    }
}

/// Live fan-out of new events.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// The pub/sub channel (after the key prefix) the analysis worker announces on.
    pub channel: String,
    /// Notices a slow subscriber may fall behind by before it is told to resume.
    pub buffer: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            channel: "events".to_owned(),
            buffer: 1024,
        }
    }
}

/// The web console: a built single-page app the gateway serves at `/`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// The console's built folder (`web/console/dist`, holding `index.html`); unset
    /// serves no console, only the API.
    pub dir: Option<PathBuf>,
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.database.validate("database")?;
        self.redis.validate("redis")?;
        for proxy in &self.http.trusted_proxies {
            parse_network(proxy)
                .map_err(|err| SettingsError::invalid("http.trusted_proxies", err))?;
        }
        for (key, value) in [
            ("http.max_body_bytes", self.http.max_body_bytes as u64),
            ("http.max_upload_bytes", self.http.max_upload_bytes as u64),
            ("http.request_timeout_ms", self.http.request_timeout_ms),
            ("grpc.max_message_bytes", self.grpc.max_message_bytes as u64),
            ("rate_limit.window_ms", self.rate_limit.window_ms),
            ("rate_limit.per_key", self.rate_limit.per_key),
            ("rate_limit.per_address", self.rate_limit.per_address),
            ("services.timeout_ms", self.services.timeout_ms),
            ("live.buffer", self.live.buffer as u64),
        ] {
            if value == 0 {
                return Err(SettingsError::invalid(key, "must be at least 1"));
            }
        }
        for (key, url) in [
            ("services.detection_worker", &self.services.detection_worker),
            ("services.analysis_worker", &self.services.analysis_worker),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(SettingsError::invalid(
                    key,
                    format!("{url:?} is not an http(s) URL"),
                ));
            }
        }
        for root in &self.media.roots {
            if !root.is_absolute() {
                return Err(SettingsError::invalid(
                    "media.roots",
                    format!("{root:?} is not an absolute path"),
                ));
            }
        }
        if self.http.listen.is_none() && self.grpc.listen.is_none() {
            return Err(SettingsError::invalid(
                "http.listen",
                "neither http.listen nor grpc.listen is set: the gateway would serve nothing",
            ));
        }
        if let Some(dir) = &self.console.dir {
            if !dir.join("index.html").is_file() {
                return Err(SettingsError::invalid(
                    "console.dir",
                    format!("{dir:?} holds no index.html (build the console: scripts/bootstrap)"),
                ));
            }
        }
        if self.live.channel.trim().is_empty() {
            return Err(SettingsError::invalid("live.channel", "must not be empty"));
        }
        Ok(())
    }
}

hsi_core::impl_service_settings!(Settings);
