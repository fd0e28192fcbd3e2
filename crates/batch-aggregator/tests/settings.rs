//! Loading the batch aggregator's settings from the environment.

use hsi_batch_aggregator::Settings;

fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
    hsi_testkit::load_settings(pairs)
}

#[test]
fn defaults_load_and_connect_as_the_services_own_role() {
    let settings = load(&[]).expect("defaults");
    assert_eq!(
        settings.database.url.masked(),
        "postgres://hsi_batch_aggregator@127.0.0.1:5432/hsi"
    );
    let batching = &settings.batching;
    assert_eq!(batching.group, "batch-aggregator");
    assert_eq!(
        (
            batching.window_secs,
            batching.idle_secs,
            batching.max_detections
        ),
        (90, 30, 500)
    );
    assert_eq!(batching.tick_ms, 1000);
    assert_eq!(
        settings.fast_path.min_confidence, None,
        "the detector model's own, sent with its detections"
    );
    assert_eq!(settings.fast_path.classes, ["person"]);
    assert_eq!(settings.fast_path.cooldown_secs, 60);
    assert_eq!(
        (settings.baseline.rollup_secs, settings.baseline.grace_secs),
        (60, 120)
    );
}

#[test]
fn the_environment_sets_the_aggregators_keys() {
    let settings = load(&[
        ("HSI__BATCHING__WINDOW_SECS", "120"),
        ("HSI__FAST_PATH__CLASSES", "person, car"),
        ("HSI__FAST_PATH__MIN_CONFIDENCE", "0.8"),
        ("HSI__BASELINE__GRACE_SECS", "0"),
    ])
    .expect("valid settings");
    assert_eq!(settings.batching.window_secs, 120);
    assert_eq!(settings.fast_path.classes, ["person", "car"]);
    assert_eq!(settings.fast_path.min_confidence, Some(0.8));
    assert_eq!(settings.baseline.grace_secs, 0);
}

#[test]
fn bad_values_are_refused_naming_the_key() {
    let cases = [
        ("HSI__BATCHING__WINDOW_SECS", "0", "batching.window_secs"),
        ("HSI__BATCHING__IDLE_SECS", "0", "batching.idle_secs"),
        (
            "HSI__BATCHING__MAX_DETECTIONS",
            "0",
            "batching.max_detections",
        ),
        ("HSI__BATCHING__TICK_MS", "0", "batching.tick_ms"),
        ("HSI__BATCHING__CONCURRENCY", "0", "batching.concurrency"),
        ("HSI__BATCHING__GROUP", " ", "batching.group"),
        (
            "HSI__BATCHING__DEDUP_TTL_SECS",
            "60",
            "batching.dedup_ttl_secs",
        ),
        (
            "HSI__BATCHING__PUBLISH_LEASE_SECS",
            "0",
            "batching.publish_lease_secs",
        ),
        (
            "HSI__FAST_PATH__MIN_CONFIDENCE",
            "1.5",
            "fast_path.min_confidence",
        ),
        (
            "HSI__FAST_PATH__MIN_CONFIDENCE",
            "-0.1",
            "fast_path.min_confidence",
        ),
        ("HSI__BASELINE__ROLLUP_SECS", "0", "baseline.rollup_secs"),
        ("HSI__QUEUE__MAX_DELIVERIES", "0", "queue.max_deliveries"),
        ("HSI__DATABASE__URL", "mysql://x", "database.url"),
        ("HSI__REDIS__URL", "http://x", "redis.url"),
    ];
    hsi_testkit::assert_refused_naming_key::<Settings>(&cases);
}

#[test]
fn unknown_keys_in_the_batching_section_are_refused() {
    let err = load(&[("HSI__BATCHING__WINDOW", "5")]).expect_err("unknown key");
    assert!(err.contains("window"), "{err}");
}
