//! Loading the file-watcher's settings from the environment.

use hsi_file_watcher::{Settings, WatchMode};
use std::path::Path;

fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
    hsi_testkit::load_settings(pairs)
}

#[test]
fn defaults_load_and_connect_as_the_services_own_role() {
    let settings = load(&[]).expect("defaults");
    assert_eq!(
        settings.database.url.masked(),
        "postgres://hsi_file_watcher@127.0.0.1:5432/hsi"
    );
    let watcher = settings.watcher;
    assert_eq!(watcher.root, Path::new("/var/lib/hsi/cameras"));
    assert_eq!(watcher.mode, WatchMode::Native);
    assert_eq!(
        (
            watcher.poll_interval_ms,
            watcher.stability_ms,
            watcher.debounce_ms
        ),
        (1000, 2000, 200)
    );
    assert_eq!(watcher.min_bytes, 64);
    assert_eq!(watcher.max_image_bytes, 50 * 1024 * 1024);
    assert_eq!(watcher.max_video_bytes, 2 * 1024 * 1024 * 1024);
    assert_eq!(watcher.image_extensions, ["jpg", "jpeg", "png"]);
    assert_eq!(watcher.video_extensions, ["mp4", "mkv", "avi", "mov"]);
    assert_eq!(
        (
            watcher.recovery_interval_secs,
            watcher.recovery_grace_secs,
            watcher.recovery_horizon_hours,
            watcher.max_enqueues
        ),
        (30, 60, 7 * 24, 5)
    );
    assert!(watcher.catch_up);
    assert_eq!(watcher.ffprobe, "ffprobe");
    assert_eq!(
        (watcher.ffprobe_timeout_ms, watcher.concurrency),
        (10_000, 4)
    );
}

#[test]
fn the_environment_sets_watcher_keys() {
    let settings = load(&[
        ("HSI__WATCHER__MODE", "poll"),
        ("HSI__WATCHER__ROOT", "/mnt/cams"),
        ("HSI__WATCHER__VIDEO_EXTENSIONS", "mp4, mkv"),
        ("HSI__WATCHER__CATCH_UP", "false"),
    ])
    .expect("valid settings");
    assert_eq!(settings.watcher.mode, WatchMode::Poll);
    assert_eq!(settings.watcher.root, Path::new("/mnt/cams"));
    assert_eq!(settings.watcher.video_extensions, ["mp4", "mkv"]);
    assert!(!settings.watcher.catch_up);
}

#[test]
fn bad_values_are_refused_naming_the_key() {
    let cases = [
        ("HSI__WATCHER__MODE", "sometimes", "watcher.mode"),
        ("HSI__WATCHER__MIN_BYTES", "60000000", "watcher.min_bytes"),
        ("HSI__WATCHER__CONCURRENCY", "0", "watcher.concurrency"),
        (
            "HSI__WATCHER__IMAGE_EXTENSIONS",
            "jpg,gif",
            "watcher.image_extensions",
        ),
        ("HSI__WATCHER__ROOT", "cameras", "watcher.root"),
        ("HSI__WATCHER__STABILITY_MS", "0", "watcher.stability_ms"),
        (
            "HSI__WATCHER__RECOVERY_GRACE_SECS",
            "0",
            "watcher.recovery_grace_secs",
        ),
        ("HSI__WATCHER__MAX_ENQUEUES", "0", "watcher.max_enqueues"),
        (
            "HSI__QUEUE__MAX_PROCESSING_MS",
            "0",
            "queue.max_processing_ms",
        ),
        (
            "HSI__QUEUE__MAX_STREAM_LENGTH",
            "0",
            "queue.max_stream_length",
        ),
        ("HSI__DATABASE__URL", "mysql://x", "database.url"),
    ];
    hsi_testkit::assert_refused_naming_key::<Settings>(&cases);
}

#[test]
fn the_redis_dedup_keys_of_old_are_refused_by_name() {
    // The ledger replaced them; a leftover setting must not be silently ignored.
    let err = load(&[("HSI__WATCHER__DEDUP_TTL_SECS", "60")]).expect_err("removed key");
    assert!(err.contains("dedup_ttl_secs"), "{err}");
}

#[test]
fn unknown_keys_in_the_watcher_section_are_refused() {
    let err = load(&[("HSI__WATCHER__STABILITY", "5")]).expect_err("unknown key");
    assert!(err.contains("stability"), "{err}");
}
