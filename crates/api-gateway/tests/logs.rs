//! The services' log lines, as their log writers put them in the `logs` table, listed
//! and searched through both protocols by an operator; a read key is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::log_service_client::LogServiceClient;
use hsi_api_gateway::pb::ListLogsRequest;
use hsi_core::log_capture::{self, DbLogLevel};
use hsi_core::Service;
use serde_json::Value;
use support::Gateway;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt;

/// Logs what `body` logs as `service` would: through the capture layer and that
/// service's own database role, and waits until the lines are in the table.
async fn log_as(gw: &Gateway, service: Service, lines: usize, body: impl FnOnce()) {
    let (layer, receiver) = log_capture::layer(DbLogLevel::Info, 64).unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), body);
    let cancel = CancellationToken::new();
    let before = count(gw).await;
    let writer = tokio::spawn(hsi_db::log_writer::run(
        gw.db.connect_as(service).await,
        receiver,
        service.name(),
        cancel.clone(),
    ));
    for _ in 0..100 {
        if count(gw).await >= before + lines {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    cancel.cancel();
    writer.await.unwrap();
    assert_eq!(count(gw).await, before + lines, "every line was written");
}

async fn count(gw: &Gateway) -> usize {
    use sea_orm::{ConnectionTrait, Statement};
    let row = gw
        .owner()
        .query_one(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM logs",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap() as usize
}

async fn seed(gw: &Gateway) {
    log_as(gw, Service::AnalysisWorker, 3, || {
        let span = tracing::info_span!("judge", camera_id = "porch", event_id = 7_i64);
        let _judging = span.enter();
        tracing::info!("event judged");
        tracing::warn!(duration_ms = 9000_u64, "llm answered slowly");
        tracing::error!("webhook receiver refused the alert");
    })
    .await;
    log_as(gw, Service::FileWatcher, 1, || {
        tracing::warn!(camera_id = "drive", "refused a file that is not an image");
    })
    .await;
}

fn messages(body: &Value) -> Vec<&str> {
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_lists_filters_and_searches_the_services_log_lines() {
    let gw = Gateway::start().await;
    seed(&gw).await;

    let (status, all) = gw.get_json("/api/v1/logs").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        messages(&all),
        [
            "refused a file that is not an image",
            "webhook receiver refused the alert",
            "llm answered slowly",
            "event judged"
        ],
        "newest first"
    );
    let slow = &all["entries"][2];
    assert_eq!(slow["level"], "WARNING");
    assert_eq!(slow["component"], "analysis-worker");
    assert_eq!(slow["camera_id"], "porch");
    assert_eq!(slow["event_id"], 7);
    assert_eq!(slow["duration_ms"], 9000);

    let (_, warnings) = gw.get_json("/api/v1/logs?level=warning").await;
    assert_eq!(
        messages(&warnings).len(),
        3,
        "warning and above: {warnings}"
    );
    let (_, errors) = gw.get_json("/api/v1/logs?level=ERROR").await;
    assert_eq!(messages(&errors), ["webhook receiver refused the alert"]);
    let (_, watcher) = gw.get_json("/api/v1/logs?component=file-watcher").await;
    assert_eq!(messages(&watcher), ["refused a file that is not an image"]);
    let (_, porch) = gw.get_json("/api/v1/logs?camera_id=porch&event_id=7").await;
    assert_eq!(messages(&porch).len(), 3);
    let (_, search) = gw.get_json("/api/v1/logs?q=refused%20-webhook").await;
    assert_eq!(messages(&search), ["refused a file that is not an image"]);
    let (_, future) = gw.get_json("/api/v1/logs?since=2999-01-01T00:00:00Z").await;
    assert!(messages(&future).is_empty());

    // Paging: two at a time, nothing repeated or missed.
    let (_, first) = gw.get_json("/api/v1/logs?limit=2").await;
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = gw
        .get_json(&format!("/api/v1/logs?limit=2&cursor={cursor}"))
        .await;
    let mut paged = messages(&first);
    paged.extend(messages(&second));
    assert_eq!(paged, messages(&all));

    // gRPC answers the same, with the operator's key.
    let mut client = LogServiceClient::new(gw.channel().await);
    let reply = client
        .list_logs(gw.request(
            ListLogsRequest {
                q: Some("slowly".into()),
                ..Default::default()
            },
            &gw.operator_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.entries.len(), 1);
    assert_eq!(reply.entries[0].message, "llm answered slowly");
    assert_eq!(reply.entries[0].camera_id.as_deref(), Some("porch"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_filters_are_named_and_a_read_key_is_refused() {
    let gw = Gateway::start().await;
    let (status, body) = gw.get_json("/api/v1/logs?level=loud").await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("level"), "{body}");
    let (status, body) = gw.get_json("/api/v1/logs?since=yesterday").await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("since"), "{body}");
    let response = gw
        .with_key(reqwest::Method::GET, "/api/v1/logs", &gw.read_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}
