use super::*;
use std::io::Write;

/// A service's root: sections it does not know are reported, not refused, so one
/// environment can serve several services; each section refuses unknown keys.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct ExampleSettings {
    database: DatabaseSettings,
    redis: RedisSettings,
    worker: WorkerSection,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct WorkerSection {
    batch_size: u16,
    api_key: Secret,
    #[serde(deserialize_with = "comma_list")]
    classes: Vec<String>,
}

impl Default for WorkerSection {
    fn default() -> Self {
        Self {
            batch_size: 8,
            api_key: Secret::default(),
            classes: vec!["person".into()],
        }
    }
}

impl Validate for ExampleSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        self.database.validate("database")?;
        self.redis.validate("redis")?;
        if self.worker.batch_size == 0 {
            return Err(SettingsError::invalid(
                "worker.batch_size",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn toml_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    file.write_all(text.as_bytes()).expect("write");
    file
}

#[test]
fn defaults_apply_without_file_or_environment() {
    let loaded = SettingsLoader::new()
        .env(env(&[]))
        .load::<ExampleSettings>()
        .expect("defaults load");
    assert_eq!(loaded.settings.worker.batch_size, 8);
    assert_eq!(loaded.settings.redis.key_prefix, "hsi:");
    assert!(loaded.unknown_keys.is_empty());
}

#[test]
fn file_overrides_defaults_and_environment_overrides_file() {
    let file = toml_file(
        "[worker]\nbatch_size = 4\nclasses = [\"dog\", \"cat\"]\n[redis]\nkey_prefix = \"file:\"\n",
    );
    let loaded = SettingsLoader::new()
        .file(file.path())
        .env(env(&[
            ("HSI__WORKER__BATCH_SIZE", "16"),
            ("HSI__WORKER__API_KEY", "s3cret"),
        ]))
        .load::<ExampleSettings>()
        .expect("loads");
    let settings = loaded.settings;
    assert_eq!(
        settings.worker.batch_size, 16,
        "environment wins over the file"
    );
    assert_eq!(
        settings.redis.key_prefix, "file:",
        "file wins over defaults"
    );
    assert_eq!(settings.worker.classes, ["dog", "cat"]);
    assert_eq!(settings.worker.api_key.expose(), "s3cret");
}

#[test]
fn comma_separated_environment_lists_are_split() {
    let loaded = SettingsLoader::new()
        .env(env(&[("HSI__WORKER__CLASSES", "person, car,truck")]))
        .load::<ExampleSettings>()
        .expect("loads");
    assert_eq!(loaded.settings.worker.classes, ["person", "car", "truck"]);
}

#[test]
fn a_value_of_the_wrong_type_is_refused_with_its_key() {
    let err = SettingsLoader::new()
        .env(env(&[("HSI__WORKER__BATCH_SIZE", "lots")]))
        .load::<ExampleSettings>()
        .expect_err("not a number");
    let message = err.to_string();
    assert!(message.contains("worker.batch_size"), "{message}");
}

#[test]
fn an_out_of_range_value_is_refused_with_its_key() {
    let err = SettingsLoader::new()
        .env(env(&[("HSI__WORKER__BATCH_SIZE", "70000")]))
        .load::<ExampleSettings>()
        .expect_err("too big for u16");
    assert!(err.to_string().contains("worker.batch_size"), "{err}");

    let err = SettingsLoader::new()
        .env(env(&[("HSI__WORKER__BATCH_SIZE", "0")]))
        .load::<ExampleSettings>()
        .expect_err("validation refuses zero");
    assert_eq!(
        err.to_string(),
        "bad setting worker.batch_size: must be at least 1"
    );

    let err = SettingsLoader::new()
        .env(env(&[("HSI__DATABASE__URL", "mysql://x@y/z")]))
        .load::<ExampleSettings>()
        .expect_err("wrong scheme");
    assert!(
        err.to_string().starts_with("bad setting database.url:"),
        "{err}"
    );
}

#[test]
fn a_broken_file_is_reported_against_its_path() {
    let file = toml_file("[worker\nbatch_size = ");
    let err = SettingsLoader::new()
        .file(file.path())
        .env(env(&[]))
        .load::<ExampleSettings>()
        .expect_err("broken toml");
    assert!(
        err.to_string().contains(&file.path().display().to_string()),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let err = SettingsLoader::new()
        .file("/nonexistent/hsi.toml")
        .env(env(&[]))
        .load::<ExampleSettings>()
        .expect_err("missing file");
    assert!(err.to_string().contains("/nonexistent/hsi.toml"), "{err}");
}

#[test]
fn unknown_keys_are_reported_not_fatal() {
    let loaded = SettingsLoader::new()
        .env(env(&[
            ("HSI__WORKER__BATCH_SIZ", "3"),
            ("HSI__OTHER__THING", "x"),
        ]))
        .load::<ExampleSettings>();
    // deny_unknown_fields refuses a typo inside a known section ...
    let err = loaded.expect_err("typo inside a section");
    assert!(err.to_string().contains("batch_siz"), "{err}");
    // ... while a whole section meant for another service is only reported.
    let loaded = SettingsLoader::new()
        .env(env(&[("HSI__OTHER__THING", "x")]))
        .load::<ExampleSettings>()
        .expect("foreign section tolerated");
    assert_eq!(loaded.unknown_keys, ["other"]);
}

#[test]
fn described_settings_mask_secrets_and_url_passwords() {
    let loaded = SettingsLoader::new()
        .env(env(&[
            ("HSI__WORKER__API_KEY", "s3cret"),
            ("HSI__DATABASE__URL", "postgres://svc:hunter2@db:5432/hsi"),
        ]))
        .load::<ExampleSettings>()
        .expect("loads");
    let text = describe(&loaded.settings);
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("postgres://svc:****@db:5432/hsi"), "{text}");
    assert!(!format!("{:?}", loaded.settings).contains("hunter2"));
}

#[test]
fn url_masking_leaves_urls_without_password_alone() {
    assert_eq!(
        mask_url_password("redis://127.0.0.1:6379/0"),
        "redis://127.0.0.1:6379/0"
    );
    assert_eq!(
        mask_url_password("postgres://user@host/db"),
        "postgres://user@host/db"
    );
    assert_eq!(
        mask_url_password("postgres://u:p@ss@host/db?x=@"),
        "postgres://u:****@host/db?x=@"
    );
}

#[test]
fn an_internal_grpc_server_beyond_loopback_needs_a_token() {
    let anywhere: std::net::SocketAddr = "0.0.0.0:50061".parse().expect("addr");
    let loopback: std::net::SocketAddr = "127.0.0.1:50061".parse().expect("addr");
    let none = Secret::default();
    let good = Secret::new("sixteen-chars-ok");
    let err = validate_internal_grpc("grpc", Some(anywhere), &none).expect_err("open to all");
    assert!(err.to_string().contains("grpc.token"), "{err}");
    assert!(err.to_string().contains("0.0.0.0:50061"), "{err}");
    validate_internal_grpc("grpc", Some(anywhere), &good).expect("guarded");
    validate_internal_grpc("grpc", Some(loopback), &none).expect("loopback only");
    validate_internal_grpc("grpc", None, &none).expect("off");
    let short = validate_internal_grpc("grpc", Some(loopback), &Secret::new("short"))
        .expect_err("guessable");
    assert!(short.to_string().contains("at least 16"), "{short}");
}
