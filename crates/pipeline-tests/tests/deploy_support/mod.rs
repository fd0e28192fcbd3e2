//! What deploy_manifests.rs checks the files against: the services' settings, binaries
//! and health endpoints, and readers of the rendered manifests and the compose file.

use base64::Engine;
use hsi_core::settings::{SettingsLoader, Validate};
use hsi_queue::{QueueMessage, StreamKeys};
use serde::de::DeserializeOwned;
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Command;

/// Paths the gateway's REST router serves for probes.
pub const GATEWAY_HTTP_PATHS: [&str; 2] = ["/healthz", "/readyz"];
/// Paths every service's metrics listener serves (metrics-exporter-prometheus).
pub const METRICS_PATHS: [&str; 2] = ["/health", "/metrics"];
/// What a secret holds in these checks: long enough for every validation.
const STAND_IN_SECRET: &str = "a-stand-in-secret-of-forty-characters-ok";
/// Where the Dockerfile puts the console's built files.
const IMAGE_CONSOLE_DIR: &str = "/usr/share/hsi/console";

/// A service as its binary, database role and deployment name (also its Secret's).
#[derive(Debug)]
pub struct Service {
    pub binary: &'static str,
    pub role: &'static str,
    pub short: &'static str,
    loader: fn(&HashMap<String, String>) -> Result<Facts, String>,
}

/// What a service's effective settings say about where it listens and what it reads.
#[derive(Debug)]
pub struct Facts {
    pub db_user: String,
    pub metrics: Option<u16>,
    pub grpc: Option<u16>,
    pub http: Option<u16>,
    /// gRPC services a health probe may name.
    pub grpc_services: Vec<&'static str>,
    /// The work stream (with its prefix) and the consumer group, for a consumer.
    pub stream: Option<(String, String)>,
    pub redis_url: String,
}

impl Service {
    /// Loads this service's settings from `env` alone: they must validate and hold no
    /// key the service does not know.
    pub fn load(&self, env: &BTreeMap<String, String>) -> Result<Facts, String> {
        let mut env: HashMap<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("HSI__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let _console = stand_in_console(&mut env);
        (self.loader)(&env)
    }
}

pub static SERVICES: [Service; 5] = [
    Service {
        binary: "hsi-file-watcher",
        role: "hsi_file_watcher",
        short: "file-watcher",
        loader: |env| {
            let s = load::<hsi_file_watcher::Settings>(env)?;
            Ok(facts(
                &s.database,
                &s.redis,
                s.metrics.listen,
                None,
                None,
                vec![],
                None,
            ))
        },
    },
    Service {
        binary: "hsi-detection-worker",
        role: "hsi_detection_worker",
        short: "detection-worker",
        loader: |env| {
            let s = load::<hsi_detection_worker::Settings>(env)?;
            let stream = consumed::<hsi_proto::v1::FileMessage>(&s.redis, &s.worker.group);
            let names = vec![hsi_proto::v1::detector_service_server::SERVICE_NAME];
            Ok(facts(
                &s.database,
                &s.redis,
                s.metrics.listen,
                s.grpc.listen,
                None,
                names,
                Some(stream),
            ))
        },
    },
    Service {
        binary: "hsi-batch-aggregator",
        role: "hsi_batch_aggregator",
        short: "batch-aggregator",
        loader: |env| {
            let s = load::<hsi_batch_aggregator::Settings>(env)?;
            let stream = consumed::<hsi_proto::v1::DetectionsMessage>(&s.redis, &s.batching.group);
            Ok(facts(
                &s.database,
                &s.redis,
                s.metrics.listen,
                None,
                None,
                vec![],
                Some(stream),
            ))
        },
    },
    Service {
        binary: "hsi-analysis-worker",
        role: "hsi_analysis_worker",
        short: "analysis-worker",
        loader: |env| {
            let s = load::<hsi_analysis_worker::Settings>(env)?;
            let stream = consumed::<hsi_proto::v1::BatchMessage>(&s.redis, &s.analysis.group);
            let names = vec![hsi_proto::v1::analysis_service_server::SERVICE_NAME];
            Ok(facts(
                &s.database,
                &s.redis,
                s.metrics.listen,
                s.grpc.listen,
                None,
                names,
                Some(stream),
            ))
        },
    },
    Service {
        binary: "hsi-gateway",
        role: "hsi_gateway",
        short: "gateway",
        loader: |env| {
            let s = load::<hsi_api_gateway::Settings>(env)?;
            Ok(facts(
                &s.database,
                &s.redis,
                s.metrics.listen,
                s.grpc.listen,
                s.http.listen,
                vec![],
                None,
            ))
        },
    },
];

fn load<S: DeserializeOwned + Default + Validate>(
    env: &HashMap<String, String>,
) -> Result<S, String> {
    let loaded = SettingsLoader::new()
        .env(env.clone())
        .load::<S>()
        .map_err(|err| err.to_string())?;
    if loaded.unknown_keys.is_empty() {
        Ok(loaded.settings)
    } else {
        Err(format!(
            "keys the service does not know: {:?}",
            loaded.unknown_keys
        ))
    }
}

fn consumed<M: QueueMessage>(
    redis: &hsi_core::settings::RedisSettings,
    group: &str,
) -> (String, String) {
    (
        StreamKeys::new(&redis.key_prefix, M::STREAM).stream,
        group.to_owned(),
    )
}

fn facts(
    database: &hsi_core::settings::DatabaseSettings,
    redis: &hsi_core::settings::RedisSettings,
    metrics: Option<std::net::SocketAddr>,
    grpc: Option<std::net::SocketAddr>,
    http: Option<std::net::SocketAddr>,
    grpc_services: Vec<&'static str>,
    stream: Option<(String, String)>,
) -> Facts {
    let url = database.url.expose();
    let user = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split([':', '@']).next());
    Facts {
        db_user: user.unwrap_or_default().to_owned(),
        metrics: metrics.map(|a| a.port()),
        grpc: grpc.map(|a| a.port()),
        http: http.map(|a| a.port()),
        grpc_services,
        stream,
        redis_url: redis.url.expose().to_owned(),
    }
}

/// The console folder the image holds, stood in by a temporary one with an index.html
/// (the gateway refuses a console folder without one).
fn stand_in_console(env: &mut HashMap<String, String>) -> Option<tempfile::TempDir> {
    let dir = env.get_mut("HSI__CONSOLE__DIR")?;
    assert_eq!(
        dir, IMAGE_CONSOLE_DIR,
        "the console is where the image puts it"
    );
    let dockerfile = std::fs::read_to_string(repo("deploy/Dockerfile")).expect("Dockerfile");
    assert!(dockerfile.contains(&format!("/console/dist {IMAGE_CONSOLE_DIR}")));
    let temp = tempfile::tempdir().expect("temp dir");
    std::fs::write(temp.path().join("index.html"), "<!doctype html>").expect("index.html");
    *dir = temp.path().display().to_string();
    Some(temp)
}

pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Every binary target in the workspace, as `cargo metadata` lists them.
pub fn workspace_binaries() -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(repo(""))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("metadata");
    let mut binaries = BTreeSet::new();
    for package in metadata["packages"].as_array().expect("packages") {
        for target in package["targets"].as_array().expect("targets") {
            if target["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
            {
                binaries.insert(target["name"].as_str().expect("name").to_owned());
            }
        }
    }
    binaries
}

/// `kubectl kustomize deploy/kubernetes/overlays/<overlay>`, one value per document.
pub fn render(overlay: &str) -> Vec<Value> {
    let dir = repo(&format!("deploy/kubernetes/overlays/{overlay}"));
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(&dir)
        .output()
        .unwrap_or_else(|err| {
            panic!("kubectl is needed to render the manifests (it ships kustomize): {err}")
        });
    assert!(
        output.status.success(),
        "{overlay}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("utf-8");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("a YAML document"))
        .collect()
}

use serde::Deserialize;

pub fn kind(doc: &Value) -> &str {
    doc["kind"].as_str().unwrap_or_default()
}

pub fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |v, key| &v[*key])
}

pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    at(value, path)
        .as_str()
        .unwrap_or_else(|| panic!("no string at {path:?}"))
}

pub fn seq_at<'a>(value: &'a Value, path: &[&str]) -> &'a Vec<Value> {
    at(value, path)
        .as_sequence()
        .unwrap_or_else(|| panic!("no list at {path:?}"))
}

fn named<'a>(docs: &'a [Value], kind_: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| kind(d) == kind_ && str_at(d, &["metadata", "name"]) == name)
        .unwrap_or_else(|| panic!("no {kind_} {name} in the render"))
}

pub fn secret_value(secret: &Value, key: &str) -> String {
    let encoded = str_at(secret, &["data", key]);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

/// A container's environment as Kubernetes builds it (envFrom, then env with `$(VAR)`
/// expanded), secrets stood in; records who reads which Secret.
pub fn container_env(
    docs: &[Value],
    container: &Value,
    secret_users: &mut BTreeMap<String, BTreeSet<String>>,
    workload: &str,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for source in container["envFrom"].as_sequence().into_iter().flatten() {
        let map = named(docs, "ConfigMap", str_at(source, &["configMapRef", "name"]));
        for (k, v) in map["data"].as_mapping().into_iter().flatten() {
            env.insert(
                k.as_str().expect("key").to_owned(),
                v.as_str().expect("value").to_owned(),
            );
        }
    }
    for var in container["env"].as_sequence().into_iter().flatten() {
        let name = str_at(var, &["name"]).to_owned();
        let value = if let Some(value) = var["value"].as_str() {
            env.iter().fold(value.to_owned(), |v, (k, x)| {
                v.replace(&format!("$({k})"), x)
            })
        } else if let Some(secret) = var["valueFrom"]["secretKeyRef"].as_mapping() {
            let secret_name = secret["name"].as_str().expect("secret name");
            secret_value(
                named(docs, "Secret", secret_name),
                secret["key"].as_str().expect("key"),
            );
            secret_users
                .entry(secret_name.to_owned())
                .or_default()
                .insert(workload.to_owned());
            STAND_IN_SECRET.to_owned()
        } else {
            let reference = &var["valueFrom"]["configMapKeyRef"];
            let map = named(docs, "ConfigMap", str_at(reference, &["name"]));
            str_at(map, &["data", str_at(reference, &["key"])]).to_owned()
        };
        assert!(
            !value.contains("$("),
            "{workload}: {name}={value} refers to nothing"
        );
        env.insert(name, value);
    }
    env
}

/// Ports are the ones the settings listen on; probes use the health endpoint of that port.
pub fn check_ports_and_probes(
    name: &str,
    service: &Service,
    facts: &Facts,
    pod: &Value,
    container: &Value,
) {
    let listening: BTreeSet<u16> = [facts.metrics, facts.grpc, facts.http]
        .into_iter()
        .flatten()
        .collect();
    let ports: BTreeMap<String, u16> = seq_at(container, &["ports"])
        .iter()
        .map(|p| {
            (
                str_at(p, &["name"]).to_owned(),
                p["containerPort"].as_u64().expect("port") as u16,
            )
        })
        .collect();
    let declared: BTreeSet<u16> = ports.values().copied().collect();
    assert_eq!(
        declared, listening,
        "{name}: container ports vs what {} listens on",
        service.binary
    );
    let annotation = str_at(pod, &["metadata", "annotations", "prometheus.io/port"]);
    assert_eq!(
        annotation.parse::<u16>().ok(),
        facts.metrics,
        "{name}: scrape port"
    );
    assert_eq!(
        str_at(pod, &["metadata", "annotations", "prometheus.io/path"]),
        "/metrics"
    );
    let resolve = |port: &Value| match port.as_u64() {
        Some(n) => n as u16,
        None => ports[port.as_str().expect("port name")],
    };
    let mut probes = 0;
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        let probe_spec = &container[probe];
        if probe_spec.is_null() {
            continue;
        }
        probes += 1;
        if let Some(grpc) = probe_spec["grpc"].as_mapping() {
            assert_eq!(
                Some(resolve(&grpc["port"])),
                facts.grpc,
                "{name}: {probe} port"
            );
            if let Some(svc) = grpc.get("service").and_then(Value::as_str) {
                assert!(
                    facts.grpc_services.contains(&svc),
                    "{name}: {probe} asks for {svc}"
                );
            }
        } else {
            let port = resolve(&probe_spec["httpGet"]["port"]);
            let path = str_at(probe_spec, &["httpGet", "path"]);
            let served: &[&str] = if Some(port) == facts.http {
                &GATEWAY_HTTP_PATHS
            } else {
                assert_eq!(Some(port), facts.metrics, "{name}: {probe} port {port}");
                &METRICS_PATHS
            };
            assert!(
                served.contains(&path),
                "{name}: {probe} path {path} is not served on {port}"
            );
        }
    }
    assert!(probes >= 2, "{name}: needs readiness and liveness probes");
}

/// A worker's gRPC port admits only the gateway; every rule names its ports.
pub fn check_network_policy(docs: &[Value], name: &str, workload: &Value, facts: &Facts) {
    let app = str_at(workload, &["metadata", "name"]);
    let policy = named(docs, "NetworkPolicy", app);
    let selector = at(policy, &["spec", "podSelector", "matchLabels"]);
    assert_eq!(
        selector,
        at(workload, &["spec", "selector", "matchLabels"]),
        "{name}"
    );
    let Some(grpc) = facts.grpc.filter(|_| facts.http.is_none()) else {
        return;
    };
    let mut admitted = false;
    for rule in seq_at(policy, &["spec", "ingress"]) {
        let ports: Vec<u64> = seq_at(rule, &["ports"])
            .iter()
            .filter_map(|p| p["port"].as_u64())
            .collect();
        if !ports.contains(&u64::from(grpc)) {
            continue;
        }
        for peer in seq_at(rule, &["from"]) {
            let labels = at(peer, &["podSelector", "matchLabels"]);
            assert_eq!(
                str_at(labels, &["app.kubernetes.io/name"]),
                "gateway",
                "{name}"
            );
            assert_eq!(labels.as_mapping().map(|m| m.len()), Some(1), "{name}");
            assert!(
                peer["namespaceSelector"].is_null() && peer["ipBlock"].is_null(),
                "{name}"
            );
        }
        admitted = true;
    }
    assert!(
        admitted,
        "{name}: the gateway cannot reach gRPC port {grpc}"
    );
}

/// Every Service port targets a named container port of the pods it selects.
pub fn check_services_target_named_ports(docs: &[Value], overlay: &str) {
    for service in docs.iter().filter(|d| kind(d) == "Service") {
        let app = str_at(service, &["spec", "selector", "app.kubernetes.io/name"]);
        let deployment = named(docs, "Deployment", app);
        let container = &seq_at(deployment, &["spec", "template", "spec", "containers"])[0];
        for port in seq_at(service, &["spec", "ports"]) {
            let target = str_at(port, &["targetPort"]);
            let found = seq_at(container, &["ports"])
                .iter()
                .find(|p| p["name"].as_str() == Some(target));
            let found =
                found.unwrap_or_else(|| panic!("{overlay}: Service {app} targets {target}"));
            assert_eq!(
                found["containerPort"], port["port"],
                "{overlay}: Service {app} {target}"
            );
        }
    }
}

/// `redis://host:port/db` as KEDA's address and databaseIndex.
pub fn redis_address(url: &str) -> (String, String) {
    let rest = url.strip_prefix("redis://").expect("a redis:// URL");
    let (address, database) = rest.split_once('/').unwrap_or((rest, "0"));
    (
        address.rsplit('@').next().unwrap_or(address).to_owned(),
        database.to_owned(),
    )
}

pub fn compose_doc(path: &str) -> Value {
    let text = std::fs::read_to_string(repo(path)).unwrap_or_else(|err| panic!("{path}: {err}"));
    let mut doc: Value = serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"));
    doc.apply_merge().expect("merge keys");
    if let Some(services) = doc["services"].as_mapping_mut() {
        for (_, service) in services.iter_mut() {
            service.apply_merge().expect("merge keys");
        }
    }
    doc
}

/// `text` as compose interpolates it when no variable is set: `${VAR:-default}` is the
/// default.
fn compose_default(text: &str) -> String {
    match text.strip_prefix("${").and_then(|t| t.split_once('}')) {
        Some((var, rest)) => {
            let default = var.split_once(":-").map_or("", |(_, d)| d);
            format!("{default}{rest}")
        }
        None => text.to_owned(),
    }
}

/// A compose service's environment as its entrypoint leaves it (secrets stood in).
pub fn compose_env(
    name: &str,
    spec: &Value,
    secrets: &serde_yaml::Mapping,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for (k, v) in spec["environment"].as_mapping().expect("environment") {
        let value = match v {
            Value::String(s) => compose_default(s),
            other => serde_yaml::to_string(other)
                .expect("value")
                .trim()
                .to_owned(),
        };
        env.insert(k.as_str().expect("key").to_owned(), value);
    }
    let given: Vec<&str> = seq_at(spec, &["secrets"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for secret in &given {
        assert!(
            secrets.contains_key(*secret),
            "{name}: undeclared secret {secret}"
        );
    }
    let role = env
        .get("DB_ROLE")
        .cloned()
        .unwrap_or_else(|| panic!("{name}: no DB_ROLE"));
    assert!(
        given.contains(&role.as_str()),
        "{name}: not given the secret of {role}"
    );
    let db_url = format!("postgres://{role}:{STAND_IN_SECRET}@postgres:5432/hsi");
    env.insert("HSI__DATABASE__URL".to_owned(), db_url);
    for (file_var, key) in [
        ("GRPC_TOKEN_FILE", "HSI__GRPC__TOKEN"),
        ("SERVICES_TOKEN_FILE", "HSI__SERVICES__TOKEN"),
    ] {
        if let Some(file) = env.get(file_var) {
            let secret = file.strip_prefix("/run/secrets/").expect("a secret file");
            assert!(given.contains(&secret), "{name}: not given {secret}");
            env.insert(key.to_owned(), STAND_IN_SECRET.to_owned());
        }
    }
    env
}

/// Workers scale with `--scale`: no fixed name, no host port. Health checks use the
/// paths their port serves.
pub fn check_compose_ports(name: &str, spec: &Value, facts: &Facts) {
    let worker = facts.http.is_none();
    if worker {
        assert!(
            spec["container_name"].is_null(),
            "{name}: a fixed name stops --scale"
        );
        assert!(spec["ports"].is_null(), "{name}: a host port stops --scale");
    }
    for port in spec["ports"].as_sequence().into_iter().flatten() {
        let text = port.as_str().expect("\"host:container\"");
        let container: u16 = text
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        assert!(
            [facts.http, facts.grpc].contains(&Some(container)),
            "{name}: publishes {container}"
        );
    }
    let check = serde_yaml::to_string(&spec["healthcheck"]["test"]).expect("healthcheck");
    let url = check
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://127.0.0.1:"));
    let url = url.unwrap_or_else(|| panic!("{name}: no HTTP health check"));
    let (port, path) = url.split_once('/').expect("port/path");
    let port: u16 = port.parse().expect("port");
    let path = format!("/{path}");
    let served: &[&str] = if Some(port) == facts.http {
        &GATEWAY_HTTP_PATHS
    } else {
        &METRICS_PATHS
    };
    assert!(
        (Some(port) == facts.http || Some(port) == facts.metrics)
            && served.contains(&path.as_str()),
        "{name}: health check on {port}{path}"
    );
}

/// deploy/prometheus scrapes each service on its metrics port, by its compose name.
pub fn check_prometheus_target(name: &str, facts: &Facts) {
    let config =
        std::fs::read_to_string(repo("deploy/prometheus/prometheus.yml")).expect("prometheus.yml");
    let port = facts
        .metrics
        .unwrap_or_else(|| panic!("{name}: no metrics"));
    assert!(
        config.contains(&format!("{name}:{port}")),
        "prometheus.yml does not scrape {name}:{port}"
    );
}

/// Files compose mounts from the repository exist; Grafana's dashboard provider reads
/// the folder the dashboards are mounted on.
pub fn check_compose_mounts(doc: &Value) {
    let mut targets = BTreeSet::new();
    for (_, spec) in doc["services"].as_mapping().expect("services") {
        for volume in spec["volumes"].as_sequence().into_iter().flatten() {
            let text = volume.as_str().expect("short volume syntax");
            // "${VAR:-./dir}:/target": a folder of the operator's, created when missing.
            let literal = !text.starts_with("${");
            let text = compose_default(text);
            let mut parts = text.split(':');
            let (source, target) = (parts.next().expect("source"), parts.next().expect("target"));
            targets.insert(target.to_owned());
            if literal && source.starts_with('.') {
                let path = repo("deploy/compose").join(source);
                assert!(path.exists(), "compose mounts {source}, which is not there");
            }
        }
    }
    let providers = repo("deploy/grafana/provisioning/dashboards");
    for entry in std::fs::read_dir(&providers).expect("dashboard providers") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("provider");
        let provider: Value = serde_yaml::from_str(&text).expect("provider YAML");
        for p in provider["providers"].as_sequence().into_iter().flatten() {
            let path = str_at(p, &["options", "path"]);
            assert!(
                targets.contains(path),
                "Grafana reads dashboards from {path}, which is not mounted"
            );
        }
    }
}

/// The Dockerfile's stage names, in order.
pub fn dockerfile_stages() -> Vec<String> {
    let text = std::fs::read_to_string(repo("deploy/Dockerfile")).expect("Dockerfile");
    text.lines()
        .filter(|l| l.starts_with("FROM "))
        .filter_map(|l| {
            l.split_whitespace()
                .skip_while(|w| !w.eq_ignore_ascii_case("AS"))
                .nth(1)
        })
        .map(str::to_owned)
        .collect()
}

/// hadolint (installed by scripts/bootstrap into $HSI_CACHE/bin) passes the Dockerfile.
pub fn hadolint() {
    let cache = std::env::var("HSI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/hsi"));
    let binary = cache.join("bin/hadolint");
    let output = Command::new(&binary)
        .args(["--no-color", "--config"])
        .arg(repo("deploy/hadolint.yaml"))
        .arg(repo("deploy/Dockerfile"))
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "{}: {err} (scripts/bootstrap installs hadolint)",
                binary.display()
            )
        });
    assert!(
        output.status.success(),
        "hadolint: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The status code of `GET path` on 127.0.0.1:port, retried while the listener starts.
pub async fn http_status(port: u16, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for _ in 0..50 {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await.expect("write");
            let mut reply = String::new();
            stream.read_to_string(&mut reply).await.expect("read");
            let status = reply.split_whitespace().nth(1).and_then(|s| s.parse().ok());
            return status.unwrap_or_else(|| panic!("no status in {reply:?}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("nothing listens on {port}");
}
