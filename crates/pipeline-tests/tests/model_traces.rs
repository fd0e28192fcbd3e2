//! Traces across every hop: each service runs as a process of its own (as in
//! production, with its own `service.name`), exporting its spans over OTLP to a real
//! receiver started here. A photo dropped in a camera folder must come out as one trace,
//! file -> detection -> batch -> event -> alert -> delivery, parent to child, ending at
//! the webhook it was delivered to; and a gateway request that names a trace continues
//! it.

mod common;

use axum::routing::post;
use axum::{Json, Router};
use common::until;
use hsi_core::Service;
use hsi_testkit::otlp::{span_tree, OtlpReceiver, ReceivedSpan};
use hsi_testkit::{centernet_model, photo, TestDatabase, TestRedis};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One service process; killed if the test ends without stopping it.
struct ServiceProcess {
    name: &'static str,
    child: Option<Child>,
    log: PathBuf,
}

impl ServiceProcess {
    fn start(name: &'static str, env: &[(String, String)], logs: &Path) -> Self {
        let log = logs.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_hsi-any-service"))
            .arg(name)
            .envs(env.iter().map(|(k, v)| (k, v)))
            // Short batches, so the spans arrive within a second of ending.
            .env("OTEL_BSP_SCHEDULE_DELAY", "200")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("start the service");
        Self {
            name,
            child: Some(child),
            log,
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn assert_alive(&mut self) {
        let child = self.child.as_mut().expect("started");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{} exited ({status}):\n{}", self.name, self.log_tail());
        }
    }

    /// SIGTERM, as an orchestrator stops it; the drain and the last export must finish
    /// well within `limit`.
    fn stop(&mut self, limit: Duration) {
        let mut child = self.child.take().expect("started");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                assert!(
                    status.success(),
                    "{} stopped with {status}:\n{}",
                    self.name,
                    self.log_tail()
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{} did not stop within {limit:?}:\n{}",
            self.name,
            self.log_tail()
        );
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Settings every service gets, as environment variables.
fn shared_env(
    db: &TestDatabase,
    redis: &TestRedis,
    service: Service,
    otlp: &str,
) -> Vec<(String, String)> {
    [
        ("HSI__DATABASE__URL", db.url_for(service)),
        ("HSI__DATABASE__MAX_CONNECTIONS", "4".into()),
        ("HSI__REDIS__URL", redis.url.clone()),
        ("HSI__REDIS__KEY_PREFIX", redis.prefix.clone()),
        ("HSI__QUEUE__BLOCK_MS", "100".into()),
        ("HSI__QUEUE__RETRY_BASE_MS", "100".into()),
        (
            "HSI__TELEMETRY__LOG_FILTER",
            "info,sqlx=warn,sea_orm=warn".into(),
        ),
        ("HSI__TELEMETRY__OTLP_ENDPOINT", otlp.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn with(mut env: Vec<(String, String)>, more: &[(&str, String)]) -> Vec<(String, String)> {
    env.extend(more.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    env
}

/// An LLM that answers at once: the trace is the subject here, not the judgement.
async fn quick_llm() -> String {
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async {
            Json(json!({
                "model": "quick", "choices": [{"message": {"role": "assistant",
                "content": "{\"risk_score\": 70, \"summary\": \"A person at the front door\", \"reasoning\": \"quick\"}"}}]
            }))
        }),
    );
    serve(app, "/v1").await
}

async fn serve(app: Router, path: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}{path}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// What the webhook receiver got: each delivery's body and `traceparent` header.
type Deliveries = Arc<Mutex<Vec<(Value, Option<String>)>>>;

/// A webhook receiver recording each delivery's body and `traceparent` header.
async fn webhook_receiver() -> (String, Deliveries) {
    let received: Deliveries = Arc::default();
    let store = received.clone();
    let app = Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, Json(body): Json<Value>| {
                let store = store.clone();
                async move {
                    let traceparent = headers
                        .get("traceparent")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    store.lock().expect("lock").push((body, traceparent));
                    "ok"
                }
            },
        ),
    );
    (serve(app, "/hook").await, received)
}

/// The chain from `span` up to its trace's root, by parent span id.
fn ancestry<'a>(spans: &'a [ReceivedSpan], span: &'a ReceivedSpan) -> Vec<&'a ReceivedSpan> {
    let mut chain = vec![span];
    let mut current = span;
    while let Some(parent) = spans
        .iter()
        .find(|s| s.trace_id == current.trace_id && s.span_id == current.parent_span_id)
    {
        chain.push(parent);
        current = parent;
    }
    chain
}

/// The expected chain, from the delivery up to the file.
const CHAIN: [(&str, &str); 6] = [
    ("delivery", "hsi-analysis-worker"),
    ("alert", "hsi-analysis-worker"),
    ("event", "hsi-analysis-worker"),
    ("batch", "hsi-batch-aggregator"),
    ("detection", "hsi-detection-worker"),
    ("file", "hsi-file-watcher"),
];

/// A delivered webhook's span whose ancestry is the whole chain, if one arrived.
fn complete_chain(spans: &[ReceivedSpan]) -> Option<Vec<&ReceivedSpan>> {
    spans
        .iter()
        .filter(|s| s.name == "delivery" && s.attribute("outcome") == Some("delivered"))
        .map(|delivery| ancestry(spans, delivery))
        .find(|chain| chain.len() >= CHAIN.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_is_one_trace_from_the_camera_folder_to_the_delivered_webhook() {
    let receiver = OtlpReceiver::start().await;
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
    let llm = quick_llm().await;
    let env = |service| shared_env(&db, &redis, service, &receiver.endpoint);
    let mut services = vec![
        ServiceProcess::start(
            "file-watcher",
            &with(
                env(Service::FileWatcher),
                &[
                    ("HSI__WATCHER__ROOT", cameras.display().to_string()),
                    ("HSI__WATCHER__STABILITY_MS", "300".into()),
                    ("HSI__WATCHER__DEBOUNCE_MS", "50".into()),
                ],
            ),
            dir.path(),
        ),
        ServiceProcess::start(
            "detection-worker",
            &with(
                env(Service::DetectionWorker),
                &[
                    (
                        "HSI__DETECTOR__MODEL_PATH",
                        centernet_model().display().to_string(),
                    ),
                    ("HSI__DETECTOR__DEVICE", "cpu".into()),
                    (
                        "HSI__WORKER__THUMBNAILS_DIR",
                        dir.path().join("thumbnails").display().to_string(),
                    ),
                    ("HSI__GRPC__LISTEN", "127.0.0.1:0".into()),
                ],
            ),
            dir.path(),
        ),
        ServiceProcess::start(
            "batch-aggregator",
            &with(
                env(Service::BatchAggregator),
                &[
                    ("HSI__BATCHING__WINDOW_SECS", "10".into()),
                    ("HSI__BATCHING__IDLE_SECS", "2".into()),
                    ("HSI__BATCHING__TICK_MS", "100".into()),
                    // No fast path: the event comes from a closed batch.
                    ("HSI__FAST_PATH__MIN_CONFIDENCE", "0.99".into()),
                ],
            ),
            dir.path(),
        ),
        ServiceProcess::start(
            "analysis-worker",
            &with(
                env(Service::AnalysisWorker),
                &[
                    ("HSI__LLM__BASE_URL", llm.clone()),
                    ("HSI__LLM__TIMEOUT_MS", "30000".into()),
                    ("HSI__ALERTS__ALLOW_PRIVATE_DESTINATIONS", "true".into()),
                    ("HSI__GRPC__LISTEN", "127.0.0.1:0".into()),
                ],
            ),
            dir.path(),
        ),
    ];
    let folder = cameras.join("Front Door");
    std::fs::create_dir_all(&folder).expect("camera folder");
    std::fs::copy(photo("person.jpg"), folder.join("person.jpg")).expect("copy photo");

    until("the alert at the webhook", 240, || {
        for service in &mut services {
            service.assert_alive();
        }
        let delivered = !received.lock().expect("lock").is_empty();
        async move { delivered }
    })
    .await;
    let spans = receiver
        .wait_for(
            "the spans of the whole chain, file to delivery",
            Duration::from_secs(30),
            |spans| complete_chain(spans).is_some(),
        )
        .await;
    let chain = complete_chain(&spans).expect("waited for it");
    let trace_id = chain[0].trace_id.clone();
    let trace: Vec<ReceivedSpan> = spans
        .iter()
        .filter(|s| s.trace_id == trace_id)
        .cloned()
        .collect();
    eprintln!(
        "the trace of person.jpg, as the OTLP receiver got it:\n{}",
        span_tree(&trace)
    );

    let found: Vec<(&str, &str)> = chain
        .iter()
        .map(|s| (s.name.as_str(), s.service.as_str()))
        .collect();
    assert_eq!(found, CHAIN, "delivery up to the root, by parent span id");
    let root = chain[CHAIN.len() - 1];
    assert!(
        root.parent_span_id.is_empty(),
        "the file span is the trace's root: {root:?}"
    );
    assert_eq!(root.attribute("camera_id"), Some("front_door"), "{root:?}");
    assert!(
        root.attribute("path")
            .is_some_and(|p| p.ends_with("person.jpg")),
        "{root:?}"
    );
    let detection = chain[4];
    assert_eq!(detection.attribute("outcome"), Some("ok"), "{detection:?}");
    assert!(
        detection.attribute("detections").is_some_and(|n| n != "0"),
        "{detection:?}"
    );
    let event = chain[2];
    let event_id = event
        .attribute("event_id")
        .expect("the event span names its event");
    assert_eq!(chain[1].attribute("event_id"), Some(event_id));
    assert_eq!(chain[0].attribute("event_id"), Some(event_id));

    // The receiver was told the trace too, by the delivery span.
    let (body, traceparent) = received.lock().expect("lock")[0].clone();
    assert_eq!(body["event_id"].to_string(), event_id, "{body}");
    let traceparent = traceparent.expect("the webhook carries a traceparent");
    assert!(
        traceparent.contains(&format!("{trace_id}-{}", chain[0].span_id)),
        "{traceparent} is not the delivery span {}",
        chain[0].span_id
    );

    for mut service in services {
        service.stop(Duration::from_secs(20));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_requests_continue_the_callers_trace() {
    let receiver = OtlpReceiver::start().await;
    let db = TestDatabase::migrated().await;
    let redis = TestRedis::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let (http_port, grpc_port) = (free_port(), free_port());
    let mut gateway = ServiceProcess::start(
        "gateway",
        &with(
            shared_env(&db, &redis, Service::Gateway, &receiver.endpoint),
            &[
                ("HSI__HTTP__LISTEN", format!("127.0.0.1:{http_port}")),
                ("HSI__GRPC__LISTEN", format!("127.0.0.1:{grpc_port}")),
            ],
        ),
        dir.path(),
    );
    let base = format!("http://127.0.0.1:{http_port}");
    let client = reqwest::Client::new();
    until("the gateway to answer", 60, || {
        gateway.assert_alive();
        let request = client.get(format!("{base}/healthz")).send();
        async move { request.await.is_ok_and(|r| r.status().is_success()) }
    })
    .await;

    // A trace id of this run's own (the clock's nanoseconds, never zero).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos();
    let trace_id = format!("{:032x}", nanos | 1 << 100);
    let caller_span = "00f067aa0ba902b7";
    let traceparent = format!("00-{trace_id}-{caller_span}-01");
    let ok = client
        .get(format!("{base}/healthz"))
        .header("traceparent", &traceparent)
        .send()
        .await
        .expect("healthz");
    assert_eq!(ok.status(), 200);
    let refused = client
        .get(format!("{base}/api/v1/events"))
        .header("traceparent", &traceparent)
        .send()
        .await
        .expect("events");
    assert_eq!(refused.status(), 401, "no key");
    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{grpc_port}"))
        .expect("grpc url")
        .connect()
        .await
        .expect("grpc");
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let mut check = tonic::Request::new(tonic_health::pb::HealthCheckRequest::default());
    check
        .metadata_mut()
        .insert("traceparent", traceparent.parse().expect("ascii"));
    let expected_code = match health.check(check).await {
        Ok(_) => "0".to_owned(),
        Err(status) => (status.code() as i32).to_string(),
    };

    let spans = receiver
        .wait_for(
            "the gateway's three request spans",
            Duration::from_secs(30),
            |spans| spans.iter().filter(|s| s.trace_id == trace_id).count() >= 3,
        )
        .await;
    let trace: Vec<ReceivedSpan> = spans
        .into_iter()
        .filter(|s| s.trace_id == trace_id)
        .collect();
    eprintln!(
        "the caller's trace, continued by the gateway:\n{}",
        span_tree(&trace)
    );
    for span in &trace {
        assert_eq!(span.service, "hsi-gateway", "{span:?}");
        assert_eq!(
            span.parent_span_id, caller_span,
            "a child of the caller's span: {span:?}"
        );
    }
    let route = |route: &str| {
        trace
            .iter()
            .find(|s| s.attribute("http.route") == Some(route))
    };
    let healthz = route("/healthz").expect("the /healthz span");
    assert_eq!(healthz.name, "GET /healthz");
    assert_eq!(healthz.attribute("http.response.status_code"), Some("200"));
    let events = route("/api/v1/events").expect("the /api/v1/events span");
    assert_eq!(events.attribute("http.response.status_code"), Some("401"));
    let grpc = trace
        .iter()
        .find(|s| s.name == "grpc.health.v1.Health/Check")
        .expect("the gRPC call's span");
    assert_eq!(
        grpc.attribute("rpc.grpc.status_code"),
        Some(expected_code.as_str())
    );
    gateway.stop(Duration::from_secs(20));
}
