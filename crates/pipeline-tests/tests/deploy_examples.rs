//! The commented example settings in `deploy/config/` are what operators start from: each
//! must load and validate as its service's settings (with the secrets a deployment
//! supplies from the environment), and an internal gRPC API opened beyond loopback must
//! be refused without its token.

use hsi_core::settings::{SettingsLoader, Validate};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::PathBuf;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../deploy/config/{name}.toml"))
}

fn load<S: DeserializeOwned + Default + Validate>(
    name: &str,
    env: &[(&str, &str)],
) -> Result<Vec<String>, String> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    SettingsLoader::new()
        .file(example(name))
        .env(env)
        .load::<S>()
        .map(|loaded| loaded.unknown_keys)
        .map_err(|err| err.to_string())
}

const TOKEN: (&str, &str) = ("HSI__GRPC__TOKEN", "a-token-from-a-secret-store");

#[test]
fn every_example_loads_and_validates_with_nothing_unknown() {
    let results = [
        (
            "file-watcher",
            load::<hsi_file_watcher::Settings>("file-watcher", &[]),
        ),
        (
            "detection-worker",
            load::<hsi_detection_worker::Settings>("detection-worker", &[TOKEN]),
        ),
        (
            "batch-aggregator",
            load::<hsi_batch_aggregator::Settings>("batch-aggregator", &[]),
        ),
        (
            "analysis-worker",
            load::<hsi_analysis_worker::Settings>("analysis-worker", &[TOKEN]),
        ),
        ("gateway", load::<hsi_api_gateway::Settings>("gateway", &[])),
    ];
    for (name, result) in results {
        let unknown = result.unwrap_or_else(|err| panic!("deploy/config/{name}.toml: {err}"));
        assert!(
            unknown.is_empty(),
            "{name}: keys the service does not know: {unknown:?}"
        );
    }
}

/// The gateway's example opens both APIs to the network, names the workers it forwards
/// to by their service names, and keeps keys and rate limits on.
#[test]
fn the_gateway_example_serves_both_apis_with_keys_and_limits() {
    let settings = SettingsLoader::new()
        .file(example("gateway"))
        .env(HashMap::new())
        .load::<hsi_api_gateway::Settings>()
        .expect("deploy/config/gateway.toml loads")
        .settings;
    assert_eq!(settings.http.listen.map(|addr| addr.port()), Some(8080));
    assert_eq!(settings.grpc.listen.map(|addr| addr.port()), Some(50051));
    assert!(settings
        .http
        .listen
        .is_some_and(|addr| addr.ip().is_unspecified()));
    assert!(settings.auth.enabled && settings.rate_limit.enabled);
    assert_eq!(
        settings.services.detection_worker,
        "http://detection-worker:50061"
    );
    assert_eq!(
        settings.services.analysis_worker,
        "http://analysis-worker:50062"
    );
    assert_eq!(
        settings.database.url.masked(),
        "postgres://hsi_gateway:****@postgres:5432/hsi"
    );
}

#[test]
fn an_example_listening_beyond_loopback_is_refused_without_its_token() {
    for result in [
        load::<hsi_detection_worker::Settings>("detection-worker", &[]),
        load::<hsi_analysis_worker::Settings>("analysis-worker", &[]),
    ] {
        let err = result.expect_err("an open internal API");
        assert!(err.contains("grpc.token"), "{err}");
    }
}
