//! The dashboards and alert rules in deploy/ proven against real metrics: every service
//! runs as its own process (this test binary re-run as that service, through the same
//! start-up code as its binary) with a metrics listener; one photo of a person becomes an
//! alert delivered to a webhook; then every metric name a dashboard panel or an alert
//! rule queries must be in some service's `/metrics`, and every pipeline stage histogram
//! must have observations. Also: the shipped Prometheus files pass `promtool`.

mod common;

use axum::routing::post;
use axum::Router;
use common::until;
use hsi_core::Service;
use hsi_testkit::{llm_base_url, photo, TestDatabase, TestRedis};
use sea_orm::ConnectionTrait;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVICES: [&str; 5] = [
    "file-watcher",
    "detection-worker",
    "batch-aggregator",
    "analysis-worker",
    "api-gateway",
];

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// Metric names in `text`: `hsi_...` tokens with a histogram's series suffix removed.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("hsi_") {
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let token: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[at + token.len()..];
        if !preceded {
            names.insert(base_name(&token).to_owned());
        }
    }
    names
}

fn base_name(series: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| series.strip_suffix(suffix))
        .unwrap_or(series)
}

/// Every PromQL expression of every dashboard (`expr` of each target), by file.
fn dashboard_queries() -> BTreeMap<String, Vec<String>> {
    fn exprs(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("expr", serde_json::Value::String(expr)) => out.push(expr.clone()),
                        _ => exprs(value, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| exprs(v, out)),
            _ => {}
        }
    }
    let dir = deploy().join("grafana/dashboards");
    let mut queries = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("dashboards folder") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("dashboard");
        let board: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()));
        let mut found = Vec::new();
        exprs(&board, &mut found);
        assert!(!found.is_empty(), "{} queries nothing", path.display());
        queries.insert(
            path.file_name()
                .expect("a dashboard file has a name")
                .to_string_lossy()
                .into_owned(),
            found,
        );
    }
    queries
}

/// The metric names every dashboard and alert rule queries, with where each is used.
fn queried_metrics() -> BTreeMap<String, BTreeSet<String>> {
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, exprs) in dashboard_queries() {
        for name in exprs.iter().flat_map(|e| metric_names(e)) {
            used.entry(name).or_default().insert(file.clone());
        }
    }
    let rules = std::fs::read_to_string(deploy().join("prometheus/alerts.yml")).expect("rules");
    for name in metric_names(&rules) {
        used.entry(name)
            .or_default()
            .insert("alerts.yml".to_owned());
    }
    used
}

#[test]
fn the_tokenizer_finds_metric_names_in_promql() {
    let names = metric_names(
        r#"histogram_quantile(0.95, sum by (le) (rate(hsi_a_seconds_bucket{x="hsi_not"}[5m]))) / up + my_hsi_b + hsi_c_total"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["hsi_a_seconds", "hsi_c_total", "hsi_not"]
    );
}

#[test]
fn shipped_prometheus_files_pass_promtool() {
    let dir = deploy().join("prometheus");
    let tests: Vec<String> = std::fs::read_dir(dir.join("tests"))
        .expect("deploy/prometheus/tests")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yml"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(
        !tests.is_empty(),
        "no rule tests in deploy/prometheus/tests"
    );
    let mut runs: Vec<Vec<String>> = vec![
        vec!["check".into(), "config".into(), "prometheus.yml".into()],
        vec![
            "check".into(),
            "config".into(),
            "prometheus-demo.yml".into(),
        ],
        vec!["check".into(), "rules".into(), "alerts.yml".into()],
    ];
    runs.push(
        ["test".to_owned(), "rules".to_owned()]
            .into_iter()
            .chain(tests)
            .collect(),
    );
    for args in runs {
        let output = Command::new("promtool")
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|err| {
                panic!("cannot run promtool ({err}); scripts/bootstrap installs it (Debian's prometheus package)")
            });
        assert!(
            output.status.success(),
            "promtool {} failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn every_metric_the_dashboards_and_rules_query_is_exported() {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(drive_and_scrape());
}

/// A service process; SIGTERM, then SIGKILL, when dropped.
struct Process {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A plain HTTP/1.1 request; answers the status and the body.
async fn http(addr: &str, request_line: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|err| panic!("connect {addr}: {err}"));
    let mut request = format!("{request_line} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Series name -> summed value, from a Prometheus text exposition.
fn samples(scrape: &str) -> BTreeMap<String, f64> {
    let mut values = BTreeMap::new();
    for line in scrape
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("sample line");
        *values.entry(series.to_owned()).or_insert(0.0) += value.parse::<f64>().unwrap_or(0.0);
    }
    values
}

fn exported_names(scrape: &str) -> BTreeSet<String> {
    samples(scrape)
        .keys()
        .map(|series| base_name(series.split(['{', ' ']).next().unwrap_or_default()).to_owned())
        .collect()
}

async fn webhook_receiver() -> (String, Arc<AtomicUsize>) {
    let received = Arc::new(AtomicUsize::new(0));
    let count = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move || {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

fn grpcurl() -> PathBuf {
    hsi_testkit::cache_dir().join("bin/grpcurl")
}

async fn drive_and_scrape() {
    let db = TestDatabase::migrated().await;
    let redis = TestRedis::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let cameras = dir.path().join("cameras");
    std::fs::create_dir_all(&cameras).expect("camera root");
    let (hook, received) = webhook_receiver().await;
    db.conn
        .execute_unprepared(&format!(
            "INSERT INTO alert_rules (name, severity, risk_threshold, object_types, camera_ids, cooldown_seconds, channels)
             VALUES ('Person at the front door', 'high', 0, '[\"person\"]', '[\"front_door\"]', 0,
                     '[{{\"type\": \"webhook\", \"url\": \"{hook}\"}}]')"
        ))
        .await
        .expect("alert rule");
    let gateway_db = db.connect_as(Service::Gateway).await;
    let key = hsi_api_gateway::resources::keys::create_key(
        &gateway_db,
        "metrics-test",
        "operator",
        "test",
    )
    .await
    .expect("api key")
    .secret;
    let llm = llm_base_url();

    let metrics: BTreeMap<&str, String> = SERVICES
        .iter()
        .map(|s| (*s, format!("127.0.0.1:{}", free_port())))
        .collect();
    let http_addr = format!("127.0.0.1:{}", free_port());
    let grpc_addr = format!("127.0.0.1:{}", free_port());
    let role = |name: &str| match name {
        "file-watcher" => Service::FileWatcher,
        "detection-worker" => Service::DetectionWorker,
        "batch-aggregator" => Service::BatchAggregator,
        "analysis-worker" => Service::AnalysisWorker,
        _ => Service::Gateway,
    };
    let mut processes = Vec::new();
    for name in SERVICES {
        let mut env: Vec<(&str, String)> = vec![
            ("HSI__DATABASE__URL", db.url_for(role(name))),
            ("HSI__DATABASE__MAX_CONNECTIONS", "4".into()),
            ("HSI__REDIS__URL", redis.url.clone()),
            ("HSI__REDIS__KEY_PREFIX", redis.prefix.clone()),
            ("HSI__METRICS__LISTEN", metrics[name].clone()),
            ("HSI__TELEMETRY__LOG_FILTER", "info".into()),
        ];
        if name != "api-gateway" {
            env.extend([
                ("HSI__QUEUE__BLOCK_MS", "100".into()),
                ("HSI__QUEUE__RETRY_BASE_MS", "100".into()),
                ("HSI__QUEUE__VISIBILITY_TIMEOUT_MS", "10000".into()),
            ]);
        }
        match name {
            "file-watcher" => env.extend([
                ("HSI__WATCHER__ROOT", cameras.display().to_string()),
                ("HSI__WATCHER__STABILITY_MS", "300".into()),
                ("HSI__WATCHER__DEBOUNCE_MS", "50".into()),
            ]),
            "detection-worker" => env.extend([
                (
                    "HSI__DETECTOR__MODEL_PATH",
                    hsi_testkit::centernet_model().display().to_string(),
                ),
                ("HSI__DETECTOR__DEVICE", "cpu".into()),
                (
                    "HSI__WORKER__THUMBNAILS_DIR",
                    dir.path().join("thumbnails").display().to_string(),
                ),
                ("HSI__GRPC__LISTEN", format!("127.0.0.1:{}", free_port())),
            ]),
            "batch-aggregator" => env.extend([
                ("HSI__BATCHING__WINDOW_SECS", "10".into()),
                ("HSI__BATCHING__IDLE_SECS", "2".into()),
                ("HSI__BATCHING__TICK_MS", "100".into()),
                // No fast path: the alert comes from a judged batch, through every stage.
                ("HSI__FAST_PATH__MIN_CONFIDENCE", "0.99".into()),
            ]),
            "analysis-worker" => env.extend([
                ("HSI__LLM__BASE_URL", llm.clone()),
                ("HSI__LLM__TIMEOUT_MS", "120000".into()),
                ("HSI__ALERTS__ALLOW_PRIVATE_DESTINATIONS", "true".into()),
                ("HSI__GRPC__LISTEN", format!("127.0.0.1:{}", free_port())),
            ]),
            _ => env.extend([
                ("HSI__HTTP__LISTEN", http_addr.clone()),
                ("HSI__GRPC__LISTEN", grpc_addr.clone()),
            ]),
        }
        let log = dir.path().join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        // Each service as a process of its own, behind its binary's start-up code.
        let child = Command::new(env!("CARGO_BIN_EXE_hsi-any-service"))
            .arg(if name == "api-gateway" {
                "gateway"
            } else {
                name
            })
            .envs(env)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .expect("start the service");
        processes.push(Process { name, child, log });
    }
    let report = |processes: &mut Vec<Process>| {
        for p in processes.iter_mut() {
            let state = p.child.try_wait().ok().flatten();
            let log = std::fs::read_to_string(&p.log).unwrap_or_default();
            let tail: String = log
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            eprintln!("--- {} (exited: {state:?})\n{tail}", p.name);
        }
    };

    // Every /metrics answers before any work, and an idle scrape already shows the
    // catalogue (the stage histograms registered at zero).
    for (name, addr) in &metrics {
        let addr = addr.clone();
        until(&format!("{name}'s /metrics"), 60, || {
            let addr = addr.clone();
            async move { tokio::net::TcpStream::connect(&addr).await.is_ok() }
        })
        .await;
    }
    let idle = http(&metrics["analysis-worker"], "GET /metrics", &[])
        .await
        .1;
    assert!(
        idle.contains(
            "hsi_pipeline_stage_seconds_count{service=\"analysis-worker\",stage=\"judged\"} 0"
        ) || idle.contains(
            "hsi_pipeline_stage_seconds_count{stage=\"judged\",service=\"analysis-worker\"} 0"
        ),
        "an idle analysis worker shows its stage histograms at zero:\n{idle}"
    );

    // One photo of a person (an alert), one file that is refused.
    let front = cameras.join("Front Door");
    std::fs::create_dir_all(&front).expect("camera folder");
    std::fs::copy(photo("person.jpg"), front.join("person.jpg")).expect("copy photo");
    std::fs::write(front.join("broken.jpg"), vec![0x42_u8; 4096]).expect("broken file");

    let delivered = async {
        until("the alert at the webhook", 240, || async {
            received.load(Ordering::SeqCst) > 0
        })
        .await
    };
    if tokio::time::timeout(Duration::from_secs(250), delivered)
        .await
        .is_err()
    {
        report(&mut processes);
        panic!("no alert delivered");
    }

    // The API, both ways, with and without a key.
    let bearer = format!("Bearer {key}");
    let bearer_header = format!("authorization: {bearer}");
    let (ok, _) = http(
        &http_addr,
        "GET /api/v1/events?limit=5",
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(ok, 200);
    let (refused, _) = http(&http_addr, "GET /api/v1/events?limit=5", &[]).await;
    assert_eq!(refused, 401);
    let (unmatched, _) = http(
        &http_addr,
        "GET /api/v1/no/such/route",
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(unmatched, 404);
    // Reflection (how grpcurl learns the methods) needs a key; the second call goes
    // without one and is refused.
    for (args, expect_ok) in [
        (
            vec!["-H", bearer_header.as_str(), "grpc.health.v1.Health/Check"],
            true,
        ),
        (
            vec![
                "-reflect-header",
                bearer_header.as_str(),
                "-d",
                "{\"limit\": 5}",
                "hsi.v1.api.EventService/ListEvents",
            ],
            false,
        ),
    ] {
        let output = Command::new(grpcurl())
            .arg("-plaintext")
            .args(&args[..args.len() - 1])
            .arg(&grpc_addr)
            .arg(args[args.len() - 1])
            .output()
            .expect("grpcurl (scripts/bootstrap installs it)");
        assert_eq!(
            output.status.success(),
            expect_ok,
            "grpcurl {args:?}: {output:?}"
        );
    }

    // Scrape until every stage has its observation (the delivery is recorded just after
    // the webhook answered) and the API's requests are in.
    let mut scrapes: BTreeMap<&str, String> = BTreeMap::new();
    let mut missing_stages = Vec::new();
    for _ in 0..60 {
        scrapes.clear();
        for (name, addr) in &metrics {
            let (status, body) = http(addr, "GET /metrics", &[]).await;
            assert_eq!(status, 200, "{name} /metrics");
            scrapes.insert(name, body);
        }
        let all: BTreeMap<String, f64> = scrapes.values().flat_map(|s| samples(s)).collect();
        let count = |needle: &str| {
            all.iter()
                .filter(|(series, _)| series.contains(needle))
                .map(|(_, v)| *v)
                .sum::<f64>()
        };
        missing_stages = [
            "enqueued",
            "detected",
            "batched",
            "judged",
            "alerted",
            "delivered",
        ]
        .iter()
        .map(|stage| format!("stage=\"{stage}\""))
        .chain([
            "until=\"alerted\"".to_owned(),
            "until=\"delivered\"".to_owned(),
        ])
        .filter(|label| {
            let stage = all
                .iter()
                .filter(|(s, _)| {
                    (s.starts_with("hsi_pipeline_stage_seconds_count")
                        || s.starts_with("hsi_pipeline_end_to_end_seconds_count"))
                        && s.contains(label.as_str())
                })
                .map(|(_, v)| *v)
                .sum::<f64>();
            stage < 1.0
        })
        .collect();
        let api_seen = count("api=\"grpc\"") > 0.0 && count("status=\"401\"") > 0.0;
        if missing_stages.is_empty() && api_seen {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        missing_stages.is_empty(),
        "stages without observations: {missing_stages:?}"
    );

    for (name, scrape) in &scrapes {
        assert!(
            scrape.contains(&format!("service=\"{name}\"")),
            "{name}'s series carry service=\"{name}\""
        );
    }
    // The refused file's warning went through the file watcher's own log writer into the
    // `logs` table, with its camera, and the gateway finds it.
    let mut logged = String::new();
    for _ in 0..40 {
        let (status, body) = http(
            &http_addr,
            "GET /api/v1/logs?component=file-watcher&level=warning&q=refused",
            &[("authorization", &bearer)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        logged = body;
        if logged.contains("\"camera_id\":\"front_door\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        logged.contains("\"message\":\"file refused\"")
            && logged.contains("\"camera_id\":\"front_door\"")
            && logged.contains("\"level\":\"WARNING\""),
        "the refusal is in the logs table with its camera: {logged}"
    );

    let rest = &scrapes["api-gateway"];
    for expected in [
        "route=\"/api/v1/events\"",
        "route=\"unmatched\"",
        "route=\"/grpc.health.v1.Health/Check\"",
        "status=\"Unauthenticated\"",
    ] {
        assert!(
            rest.contains(expected),
            "the gateway exports {expected}:\n{rest}"
        );
    }
    assert!(
        !rest.contains("no/such/route"),
        "a raw path is never a label"
    );

    let exported: BTreeMap<String, BTreeSet<&str>> =
        scrapes
            .iter()
            .fold(BTreeMap::new(), |mut acc, (service, scrape)| {
                for name in exported_names(scrape) {
                    acc.entry(name).or_default().insert(*service);
                }
                acc
            });
    // The GPU sampler runs only where NVML finds a GPU: its series may be absent on a
    // machine without one (the detection worker then exports none of them), but each
    // such name must still be one the sampler exports.
    let gpu_source = include_str!("../../detection-worker/src/gpu_stats.rs");
    let gpu_present = exported.keys().any(|n| n.starts_with("hsi_gpu_"));
    let mut unexported = Vec::new();
    for (name, used_in) in queried_metrics() {
        if exported.contains_key(&name) {
            continue;
        }
        let gpu_only = gpu_source.contains(&format!("\"{name}\""));
        if gpu_only && !gpu_present {
            eprintln!("{name}: exported only on a machine with an NVIDIA GPU (none here)");
            continue;
        }
        unexported.push(format!(
            "{name} (queried by {})",
            used_in.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if !unexported.is_empty() {
        report(&mut processes);
    }
    assert!(
        unexported.is_empty(),
        "metrics a dashboard or alert rule queries that no service exports:\n  {}",
        unexported.join("\n  ")
    );
    eprintln!(
        "checked {} queried metric names against {} exported ones",
        queried_metrics().len(),
        exported.len()
    );
    drop(processes);
}
