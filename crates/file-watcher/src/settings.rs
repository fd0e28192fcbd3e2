//! The file-watcher's settings: the shared sections plus `watcher`.

use hsi_core::metrics_export::MetricsSettings;
use hsi_core::settings::{
    comma_list, DatabaseSettings, RedisSettings, SecretUrl, SettingsError, Validate,
};
use hsi_core::telemetry::TelemetrySettings;
use hsi_queue::QueueSettings;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

const MIB: u64 = 1024 * 1024;
/// What the `image` crate is built to decode here (the workspace enables jpeg and png).
const DECODABLE_IMAGE_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// Everything the file-watcher reads at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub queue: QueueSettings,
    pub telemetry: TelemetrySettings,
    pub metrics: MetricsSettings,
    pub watcher: WatcherSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings {
                url: SecretUrl::new("postgres://hsi_file_watcher@127.0.0.1:5432/hsi"),
                ..DatabaseSettings::default()
            },
            redis: RedisSettings::default(),
            queue: QueueSettings::default(),
            telemetry: TelemetrySettings::default(),
            metrics: MetricsSettings::default(),
            watcher: WatcherSettings::default(),
        }
    }
}

/// How changes in the camera folders are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchMode {
    /// The platform's file events (inotify on Linux).
    Native,
    /// Periodic scans, for network mounts where file events never arrive.
    Poll,
}

/// The `watcher` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatcherSettings {
    /// Folder holding one sub-folder per camera.
    pub root: PathBuf,
    pub mode: WatchMode,
    /// How often poll mode scans the tree.
    pub poll_interval_ms: u64,
    /// How long a file's size and mtime must stay unchanged when no close-after-write
    /// event says it is complete.
    pub stability_ms: u64,
    /// Events for one path closer together than this are handled once.
    pub debounce_ms: u64,
    /// Smaller files are refused (a camera's upload is never this small).
    pub min_bytes: u64,
    pub max_image_bytes: u64,
    pub max_video_bytes: u64,
    #[serde(deserialize_with = "comma_list")]
    pub image_extensions: Vec<String>,
    #[serde(deserialize_with = "comma_list")]
    pub video_extensions: Vec<String>,
    /// How often accepted files that were never processed are looked for (and enqueued
    /// again if their message is no longer on the files stream).
    pub recovery_interval_secs: u64,
    /// An accepted file is left alone this long after it was (last) enqueued.
    pub recovery_grace_secs: u64,
    /// Files accepted longer ago than this are not looked for any more.
    pub recovery_horizon_hours: u64,
    /// A file enqueued this many times and still not processed is abandoned.
    pub max_enqueues: u32,
    /// Process files that arrived while the service was down, at start.
    pub catch_up: bool,
    /// The ffprobe program (a name on PATH or a path).
    pub ffprobe: String,
    pub ffprobe_timeout_ms: u64,
    /// Files validated and enqueued at once.
    pub concurrency: usize,
}

impl Default for WatcherSettings {
    fn default() -> Self {
        Self {
            root: PathBuf::from("/var/lib/hsi/cameras"),
            mode: WatchMode::Native,
            poll_interval_ms: 1_000,
            stability_ms: 2_000,
            debounce_ms: 200,
            min_bytes: 64,
            max_image_bytes: 50 * MIB,
            max_video_bytes: 2 * 1024 * MIB,
            image_extensions: DECODABLE_IMAGE_EXTENSIONS.map(str::to_owned).to_vec(),
            video_extensions: ["mp4", "mkv", "avi", "mov"].map(str::to_owned).to_vec(),
            recovery_interval_secs: 30,
            recovery_grace_secs: 60,
            recovery_horizon_hours: 7 * 24,
            max_enqueues: 5,
            catch_up: true,
            ffprobe: "ffprobe".to_owned(),
            ffprobe_timeout_ms: 10_000,
            concurrency: 4,
        }
    }
}

impl WatcherSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn stability(&self) -> Duration {
        Duration::from_millis(self.stability_ms)
    }

    pub fn debounce(&self) -> Duration {
        Duration::from_millis(self.debounce_ms)
    }

    pub fn ffprobe_timeout(&self) -> Duration {
        Duration::from_millis(self.ffprobe_timeout_ms)
    }

    /// Checks the keys under `section`.
    pub fn validate(&self, section: &str) -> Result<(), SettingsError> {
        let key = |name: &str| format!("{section}.{name}");
        if !self.root.is_absolute() {
            return Err(SettingsError::invalid(
                key("root"),
                format!("{:?} is not an absolute path", self.root),
            ));
        }
        check_range(
            &key("poll_interval_ms"),
            self.poll_interval_ms,
            10,
            3_600_000,
        )?;
        check_range(&key("stability_ms"), self.stability_ms, 10, 3_600_000)?;
        check_range(&key("debounce_ms"), self.debounce_ms, 0, 60_000)?;
        check_range(
            &key("ffprobe_timeout_ms"),
            self.ffprobe_timeout_ms,
            100,
            3_600_000,
        )?;
        check_range(
            &key("recovery_interval_secs"),
            self.recovery_interval_secs,
            1,
            86_400,
        )?;
        check_range(
            &key("recovery_grace_secs"),
            self.recovery_grace_secs,
            1,
            86_400,
        )?;
        check_range(
            &key("recovery_horizon_hours"),
            self.recovery_horizon_hours,
            1,
            24 * 365,
        )?;
        check_range(&key("max_enqueues"), u64::from(self.max_enqueues), 1, 1_000)?;
        check_range(&key("concurrency"), self.concurrency as u64, 1, 256)?;
        for (name, max) in [
            ("max_image_bytes", self.max_image_bytes),
            ("max_video_bytes", self.max_video_bytes),
        ] {
            if self.min_bytes >= max {
                return Err(SettingsError::invalid(
                    key("min_bytes"),
                    format!("{} must be below {section}.{name} ({max})", self.min_bytes),
                ));
            }
        }
        if self.ffprobe.trim().is_empty() {
            return Err(SettingsError::invalid(
                key("ffprobe"),
                "must name a program",
            ));
        }
        self.validate_extensions(section)
    }

    fn validate_extensions(&self, section: &str) -> Result<(), SettingsError> {
        let image_key = format!("{section}.image_extensions");
        let video_key = format!("{section}.video_extensions");
        for (key, list) in [
            (&image_key, &self.image_extensions),
            (&video_key, &self.video_extensions),
        ] {
            if let Some(bad) = list
                .iter()
                .find(|ext| ext.is_empty() || !ext.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                return Err(SettingsError::invalid(
                    key.as_str(),
                    format!("{bad:?} is not an extension (letters and digits, no dot)"),
                ));
            }
        }
        if let Some(bad) = self
            .image_extensions
            .iter()
            .find(|ext| !DECODABLE_IMAGE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
        {
            return Err(SettingsError::invalid(
                image_key,
                format!("{bad:?} cannot be decoded (supported: jpg, jpeg, png)"),
            ));
        }
        if let Some(both) = self.video_extensions.iter().find(|ext| {
            self.image_extensions
                .iter()
                .any(|image| image.eq_ignore_ascii_case(ext))
        }) {
            return Err(SettingsError::invalid(
                video_key,
                format!("{both:?} is also in {image_key}"),
            ));
        }
        if self.image_extensions.is_empty() && self.video_extensions.is_empty() {
            return Err(SettingsError::invalid(
                image_key,
                format!("{section}.image_extensions and {section}.video_extensions are both empty, so every file would be refused"),
            ));
        }
        Ok(())
    }
}

fn check_range(key: &str, value: u64, min: u64, max: u64) -> Result<(), SettingsError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SettingsError::invalid(
            key,
            format!("{value} is outside {min}..={max}"),
        ))
    }
}

impl Validate for Settings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.database.validate("database")?;
        self.redis.validate("redis")?;
        self.queue.validate("queue")?;
        self.watcher.validate("watcher")
    }
}

hsi_core::impl_service_settings!(Settings);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Settings::default().validate().expect("defaults validate");
    }

    #[test]
    fn bad_values_name_their_key() {
        type Spoil = Box<dyn Fn(&mut WatcherSettings)>;
        let cases: Vec<(&str, Spoil)> = vec![
            ("watcher.root", Box::new(|w| w.root = PathBuf::from("cams"))),
            (
                "watcher.min_bytes",
                Box::new(|w| w.min_bytes = w.max_image_bytes),
            ),
            ("watcher.concurrency", Box::new(|w| w.concurrency = 0)),
            ("watcher.stability_ms", Box::new(|w| w.stability_ms = 0)),
            (
                "watcher.image_extensions",
                Box::new(|w| w.image_extensions = vec!["gif".into()]),
            ),
            (
                "watcher.image_extensions",
                Box::new(|w| w.image_extensions = vec![".jpg".into()]),
            ),
            (
                "watcher.video_extensions",
                Box::new(|w| w.video_extensions = vec!["JPG".into()]),
            ),
            ("watcher.ffprobe", Box::new(|w| w.ffprobe = " ".into())),
        ];
        for (key, spoil) in cases {
            let mut settings = Settings::default();
            spoil(&mut settings.watcher);
            let err = settings.validate().expect_err(key).to_string();
            assert!(err.contains(key), "{err:?} should name {key}");
        }
    }
}
