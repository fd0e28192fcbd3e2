//! The web console end to end, in Debian's headless Chromium: the pipeline turns the
//! sample photos into judged events (real detector, real LLM), the gateway serves the
//! console and its API over them, and `web/console/e2e/console.e2e.mjs` (playwright-core)
//! signs in, finds those events on the timeline, filters and searches, opens an event
//! and sees its boxes, reviews it and gives feedback, draws a zone, creates and tests a
//! rule (checking each through the API), watches a newly dropped photo's event arrive
//! live, checks that a read-only key sees no edit controls, and runs axe-core on each
//! main page. Screenshots and the axe report go to `$HSI_CACHE/artifacts/console-e2e/`.

mod common;

use common::{until, Pipeline};
use hsi_api_gateway::App;
use hsi_core::settings::SecretUrl;
use hsi_core::Service;
use hsi_testkit::{cache_dir, llm_base_url, photo};
use sea_orm::ConnectionTrait as _;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn console_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web/console")
}

/// The gateway as it runs in production, serving the built console, on a free port.
async fn gateway(pipeline: &Pipeline, shutdown: &CancellationToken) -> (String, App) {
    let dist = console_dir().join("dist");
    assert!(
        dist.join("index.html").is_file()
            && console_dir().join("node_modules/playwright-core").is_dir(),
        "the console is not built in {}: run scripts/bootstrap (scripts/lib/install-console)",
        dist.display()
    );
    let mut settings = hsi_api_gateway::Settings::default();
    settings.database.url = SecretUrl::new(pipeline.db.url_for(Service::Gateway));
    settings.redis = pipeline.redis.settings();
    settings.media.roots = vec![pipeline.cameras(), pipeline.dir.path().join("thumbnails")];
    settings.console.dir = Some(dist.canonicalize().expect("console dist"));
    settings.metrics.listen = None;
    let app = hsi_api_gateway::build_app(&settings, shutdown)
        .await
        .expect("gateway app");
    let http = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", http.local_addr().expect("addr"));
    tokio::spawn(hsi_api_gateway::serve(
        app.clone(),
        Some(http),
        None,
        shutdown.clone(),
    ));
    (base, app)
}

async fn key(app: &App, scope: &str) -> String {
    hsi_api_gateway::resources::keys::create_key(&app.db, &format!("e2e-{scope}"), scope, "test")
        .await
        .expect("create key")
        .secret
}

#[tokio::test]
async fn the_console_reviews_the_pipelines_events_in_a_real_browser() {
    let mut pipeline = Pipeline::new().await;
    // A rule with no channels: the events at the front door raise alerts for the inbox.
    pipeline
        .db
        .conn
        .execute_unprepared(
            "INSERT INTO alert_rules (name, severity, risk_threshold, object_types, camera_ids, cooldown_seconds, channels)
             VALUES ('Anyone at the front door', 'high', 0, '[\"person\"]', '[\"front_door\"]', 0, '[]')",
        )
        .await
        .expect("alert rule");
    // The sample person (0.67) takes the fast path, so the dropped photo's event comes
    // quickly; the rest are batched.
    pipeline.start(&llm_base_url(), None);
    let shutdown = CancellationToken::new();
    let (base, app) = gateway(&pipeline, &shutdown).await;
    pipeline.copy("Front Door", "person.jpg");
    pipeline.copy("Back Yard", "dog.jpg");
    until("events for both cameras", 240, || async {
        let events = pipeline.events().await;
        ["front_door", "back_yard"]
            .iter()
            .all(|camera| events.iter().any(|e| e.camera_id == *camera))
    })
    .await;
    // The batches still open when the first events came: let the pipeline go quiet
    // (no new event for longer than a batch window) so the browser's view is settled.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    let mut seen = (pipeline.events().await.len(), tokio::time::Instant::now());
    while seen.1.elapsed() < Duration::from_secs(15) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pipeline never went quiet"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = pipeline.events().await.len();
        if now != seen.0 {
            seen = (now, tokio::time::Instant::now());
        }
    }

    let artifacts = cache_dir().join("artifacts/console-e2e");
    let script = console_dir().join("e2e/console.e2e.mjs");
    let run = tokio::process::Command::new("node")
        .arg(&script)
        .current_dir(console_dir())
        .env("HSI_E2E_BASE", &base)
        .env("HSI_E2E_ADMIN_KEY", key(&app, "admin").await)
        .env("HSI_E2E_OPERATOR_KEY", key(&app, "operator").await)
        .env("HSI_E2E_READ_KEY", key(&app, "read").await)
        .env("HSI_E2E_DROP_PHOTO", photo("person.jpg"))
        .env("HSI_E2E_DROP_DIR", pipeline.cameras().join("Side Gate"))
        .env("HSI_E2E_ARTIFACTS", &artifacts)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("the browser test finished within 10 minutes")
        .expect("node runs (Node 20 is needed)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "the browser test failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("0 check(s) failed"), "{stdout}");
    shutdown.cancel();
    pipeline.stop().await;
}
