//! The system resource over REST and gRPC: health with the workers down and up, queue
//! figures, dead letters listed, read and put back, the file ledger's refusals, GPU
//! samples, pipeline latency and the version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use hsi_api_gateway::pb::system_service_client::SystemServiceClient;
use hsi_api_gateway::pb::{
    GetDeadLetterRequest, GetPipelineLatencyRequest, GetQueueStatsRequest, GetSystemHealthRequest,
    GetSystemVersionRequest, ListDeadLettersRequest, ListGpuStatsRequest, ListRefusedFilesRequest,
    RequeueDeadLettersRequest, SystemHealth,
};
use hsi_proto::v1::{BatchMessage, DetectionsMessage, FileMessage};
use hsi_queue::{Consumer, Producer, QueueMessage, QueueSettings};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use std::net::SocketAddr;
use support::Gateway;
use tonic::transport::Channel;

fn field_of(status: &tonic::Status) -> String {
    status
        .metadata()
        .get("hsi-error-field")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn client(gw: &Gateway) -> SystemServiceClient<Channel> {
    SystemServiceClient::new(gw.channel().await)
}

fn settings() -> QueueSettings {
    QueueSettings {
        block_ms: 10,
        max_deliveries: 1,
        ..QueueSettings::default()
    }
}

/// A consumer of `M`'s stream in `group`, as the service reading it would be.
fn consumer<M: QueueMessage>(gw: &Gateway, group: &str, name: &str) -> Consumer<M> {
    Consumer::new(
        gw.app.redis.clone(),
        &gw.redis.prefix,
        group,
        name,
        &settings(),
    )
}

fn producer<M: QueueMessage>(gw: &Gateway) -> Producer<M> {
    Producer::new(gw.app.redis.clone(), &gw.redis.prefix, &settings(), "test")
}

fn file(n: usize) -> FileMessage {
    FileMessage {
        camera_id: "front".into(),
        path_display: format!("/cams/front/{n}.jpg"),
        path: format!("/cams/front/{n}.jpg").into_bytes(),
        ..Default::default()
    }
}

fn component<'a>(health: &'a Value, name: &str) -> &'a Value {
    health["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component {name} in {health}"))
}

fn grpc_status(health: &SystemHealth, name: &str) -> String {
    health
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap()
        .status
        .clone()
}

async fn audit_rows(gw: &Gateway, action: &str) -> Vec<String> {
    gw.owner()
        .query_all(Statement::from_sql_and_values(
            gw.owner().get_database_backend(),
            "SELECT status FROM audit_logs WHERE action = $1 ORDER BY id",
            [action.into()],
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get("", "status").unwrap())
        .collect()
}

#[tokio::test]
async fn health_reports_workers_that_are_down_without_failing() {
    let gw = Gateway::start().await;
    let (status, health) = gw.get_json("/api/v1/system/health").await;
    assert_eq!(status, 200, "{health}");
    for name in ["postgresql", "redis"] {
        assert_eq!(component(&health, name)["status"], "serving", "{health}");
        assert!(component(&health, name)["latency_ms"].as_f64().is_some());
    }
    for name in ["detection-worker", "analysis-worker"] {
        let status = component(&health, name)["status"].as_str().unwrap();
        assert!(
            status == "not_serving" || status == "unknown",
            "{name}: {health}"
        );
    }
    assert_eq!(
        component(&health, "batch-aggregator")["status"],
        "unknown",
        "{health}"
    );
    assert_eq!(
        component(&health, "file-watcher")["status"],
        "unknown",
        "{health}"
    );
    assert_eq!(health["status"], "degraded");

    let health = client(&gw)
        .await
        .get_system_health(gw.request(GetSystemHealthRequest {}, &gw.read_key))
        .await
        .expect("health over gRPC")
        .into_inner();
    assert_eq!(health.status, "degraded");
    assert_eq!(grpc_status(&health, "postgresql"), "serving");
    assert_ne!(grpc_status(&health, "detection-worker"), "serving");
}

/// A gRPC server with only the standard health service, as a worker serves it.
async fn health_server() -> (SocketAddr, tonic_health::server::HealthReporter) {
    let (reporter, service) = tonic_health::server::health_reporter();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    (addr, reporter)
}

#[tokio::test]
async fn health_reports_serving_workers_and_consumers() {
    let (addr, reporter) = health_server().await;
    reporter
        .set_service_status(
            "hsi.v1.DetectorService",
            tonic_health::ServingStatus::Serving,
        )
        .await;
    let gw = Gateway::start_with(|settings| {
        settings.services.detection_worker = format!("http://{addr}");
        settings.services.analysis_worker = format!("http://{addr}");
    })
    .await;
    let (_, health) = gw.get_json("/api/v1/system/health").await;
    assert_eq!(
        component(&health, "detection-worker")["status"],
        "serving",
        "{health}"
    );
    assert_eq!(
        component(&health, "analysis-worker")["status"],
        "unknown",
        "the server does not know the analysis service: {health}"
    );

    // The services' consumers read their streams; the watcher recorded a file.
    gw.camera("front", "Front").await;
    media_file(
        &gw,
        Some("front"),
        "/cams/front/a.jpg",
        "refused",
        Some("too_small"),
        "1 second",
    )
    .await;
    // (Before Redis 7.2 a consumer exists once it was given a message.)
    producer::<FileMessage>(&gw).publish(file(1)).await.unwrap();
    producer::<DetectionsMessage>(&gw)
        .publish(DetectionsMessage::default())
        .await
        .unwrap();
    producer::<BatchMessage>(&gw)
        .publish(BatchMessage::default())
        .await
        .unwrap();
    consumer::<FileMessage>(&gw, "detection-worker", "dw-1")
        .receive(1)
        .await
        .unwrap();
    consumer::<DetectionsMessage>(&gw, "batch-aggregator", "ba-1")
        .receive(1)
        .await
        .unwrap();
    consumer::<BatchMessage>(&gw, "analysis-worker", "aw-1")
        .receive(1)
        .await
        .unwrap();
    reporter
        .set_service_status(
            "hsi.v1.AnalysisService",
            tonic_health::ServingStatus::Serving,
        )
        .await;
    let (_, health) = gw.get_json("/api/v1/system/health").await;
    for name in [
        "postgresql",
        "redis",
        "file-watcher",
        "detection-worker",
        "batch-aggregator",
        "analysis-worker",
    ] {
        assert_eq!(
            component(&health, name)["status"],
            "serving",
            "{name}: {health}"
        );
    }
    assert_eq!(health["status"], "healthy");
    assert!(
        component(&health, "detection-worker")["detail"]
            .as_str()
            .unwrap()
            .contains("1 of 1 consumers"),
        "{health}"
    );

    reporter
        .set_service_status(
            "hsi.v1.DetectorService",
            tonic_health::ServingStatus::NotServing,
        )
        .await;
    let health = client(&gw)
        .await
        .get_system_health(gw.admin_request(GetSystemHealthRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(grpc_status(&health, "detection-worker"), "not_serving");
    assert_eq!(grpc_status(&health, "analysis-worker"), "serving");
    assert_eq!(health.status, "degraded");
}

#[tokio::test]
async fn queue_figures_reflect_the_streams() {
    let gw = Gateway::start().await;
    let files = producer::<FileMessage>(&gw);
    for n in 0..3 {
        files.publish(file(n)).await.unwrap();
    }
    let reader = consumer::<FileMessage>(&gw, "detection-worker", "dw-1");
    assert_eq!(reader.receive(1).await.unwrap().len(), 1);

    let (status, body) = gw.get_json("/api/v1/system/queues").await;
    assert_eq!(status, 200, "{body}");
    let streams = body["streams"].as_array().unwrap();
    let names: Vec<&str> = streams
        .iter()
        .map(|s| s["stream"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["files", "detections", "batches", "events"]);
    let files = &streams[0];
    assert_eq!(files["group"], "detection-worker");
    assert_eq!(
        (files["length"].as_u64(), files["pending"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        (
            files["consumers"].as_u64(),
            files["busy_consumers"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(files["dead_letters"], 0);
    assert!(files["idle_ms"].as_i64().is_some());
    assert_eq!(streams[1]["length"], 0);
    assert_eq!(streams[1]["consumers"], 0);
    assert!(
        streams[3].get("group").is_none_or(Value::is_null),
        "{}",
        streams[3]
    );

    let stats = client(&gw)
        .await
        .get_queue_stats(gw.request(GetQueueStatsRequest {}, &gw.read_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.streams[0].length, 3);
    assert_eq!(stats.streams[0].pending, 1);
}

/// Three files given up on by a detection-worker allowed one delivery each.
async fn dead_files(gw: &Gateway) -> Vec<String> {
    let files = producer::<FileMessage>(gw);
    for n in 0..3 {
        files.publish(file(n)).await.unwrap();
    }
    let reader = consumer::<FileMessage>(gw, "detection-worker", "dw-1");
    for delivery in reader.receive(3).await.unwrap() {
        reader
            .fail(
                &delivery,
                &format!("cannot decode {}", delivery.message.path_display),
            )
            .await
            .unwrap();
    }
    let (_, page) = gw
        .get_json("/api/v1/system/queues/files/dead-letters")
        .await;
    page["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn stream_paths(gw: &Gateway) -> Vec<String> {
    let mut conn = gw.app.redis.get().await.unwrap();
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(format!("{}stream:files", gw.redis.prefix))
        .arg("-")
        .arg("+")
        .query_async(&mut *conn)
        .await
        .unwrap();
    reply
        .ids
        .iter()
        .map(|entry| {
            let payload: Vec<u8> = entry.get("payload").unwrap();
            <FileMessage as prost::Message>::decode(payload.as_slice())
                .unwrap()
                .path_display
        })
        .collect()
}

#[tokio::test]
async fn dead_letters_are_listed_read_and_requeued_over_rest() {
    let gw = Gateway::start().await;
    let ids = dead_files(&gw).await;
    assert_eq!(ids.len(), 3);
    assert!(stream_paths(&gw).await.is_empty());

    let (status, page) = gw
        .get_json("/api/v1/system/queues/files/dead-letters?limit=2")
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["has_more"], true);
    assert_eq!(page["dead_letters"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = gw
        .get_json(&format!(
            "/api/v1/system/queues/files/dead-letters?limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest["has_more"], false);
    assert_eq!(rest["dead_letters"][0]["id"], ids[2].as_str());

    let (status, letter) = gw
        .get_json(&format!(
            "/api/v1/system/queues/files/dead-letters/{}",
            ids[1]
        ))
        .await;
    assert_eq!(status, 200, "{letter}");
    assert_eq!(letter["error"], "cannot decode /cams/front/1.jpg");
    assert_eq!(letter["deliveries"], 1);
    assert_eq!(letter["consumer"], "dw-1");
    assert_eq!(letter["message_type"], "FileMessage");
    assert_eq!(letter["decoded"], true);
    assert!(
        letter["payload_text"]
            .as_str()
            .unwrap()
            .contains("/cams/front/1.jpg"),
        "{letter}"
    );
    assert!(letter["failed_at"].as_str().is_some());

    let (status, err) = gw
        .get_json("/api/v1/system/queues/frames/dead-letters")
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (400, Some("stream"))
    );
    let (status, err) = gw
        .get_json("/api/v1/system/queues/files/dead-letters/nope")
        .await;
    assert_eq!((status, err["error"]["field"].as_str()), (400, Some("id")));
    let (status, _) = gw
        .get_json("/api/v1/system/queues/files/dead-letters/1-1")
        .await;
    assert_eq!(status, 404);

    let requeue = "/api/v1/system/queues/files/dead-letters/requeue";
    let response = gw
        .with_key(Method::POST, requeue, &gw.read_key)
        .json(&json!({"all": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let (status, err) = gw
        .send_json(Method::POST, requeue, json!({"ids": [ids[0], "1-1"]}))
        .await;
    assert_eq!(status, 404, "{err}");
    assert!(
        stream_paths(&gw).await.is_empty(),
        "an unknown id moves nothing"
    );
    let (status, err) = gw.send_json(Method::POST, requeue, json!({})).await;
    assert_eq!((status, err["error"]["field"].as_str()), (400, Some("ids")));
    let (status, err) = gw
        .send_json(Method::POST, requeue, json!({"ids": ["x"]}))
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (400, Some("ids[0]"))
    );
    let (status, err) = gw
        .send_json(
            Method::POST,
            "/api/v1/system/queues/events/dead-letters/requeue",
            json!({"all": true}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (400, Some("stream"))
    );

    let (status, done) = gw
        .send_json(Method::POST, requeue, json!({"ids": [ids[1]]}))
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["requeued"], 1);
    assert_eq!(stream_paths(&gw).await, ["/cams/front/1.jpg"]);
    let (_, left) = gw
        .get_json("/api/v1/system/queues/files/dead-letters")
        .await;
    let left: Vec<&str> = left["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, [ids[0].as_str(), ids[2].as_str()]);

    let (status, done) = gw
        .send_json(Method::POST, requeue, json!({"all": true}))
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["requeued"], 2);
    assert_eq!(
        stream_paths(&gw).await,
        [
            "/cams/front/1.jpg",
            "/cams/front/0.jpg",
            "/cams/front/2.jpg"
        ]
    );
    let (_, stats) = gw.get_json("/api/v1/system/queues").await;
    assert_eq!(stats["streams"][0]["dead_letters"], 0);
    assert_eq!(stats["streams"][0]["length"], 3);

    let audit = audit_rows(&gw, "dead_letters.requeue").await;
    assert_eq!(audit.iter().filter(|s| *s == "success").count(), 2);
    assert!(
        audit.iter().filter(|s| *s == "failure").count() >= 4,
        "{audit:?}"
    );
}

#[tokio::test]
async fn dead_letters_are_listed_read_and_requeued_over_grpc() {
    let gw = Gateway::start().await;
    let ids = dead_files(&gw).await;
    // One written the way the dead-letter script writes it, with a payload that does not
    // decode.
    let mut conn = gw.app.redis.get().await.unwrap();
    let undecodable: String = redis::cmd("XADD")
        .arg(format!("{}stream:batches:dead", gw.redis.prefix))
        .arg("*")
        .arg("payload")
        .arg(b"\xff\xff\xff".as_slice())
        .arg("type")
        .arg("batches")
        .arg("source_id")
        .arg("1-0")
        .arg("error")
        .arg("undecodable batches payload")
        .arg("deliveries")
        .arg("1")
        .arg("consumer")
        .arg("aw-1")
        .arg("failed_at_ms")
        .arg("1764583200000")
        .query_async(&mut *conn)
        .await
        .unwrap();
    let mut client = client(&gw).await;

    let page = client
        .list_dead_letters(gw.request(
            ListDeadLettersRequest {
                stream: "files".into(),
                limit: 10,
                cursor: String::new(),
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        page.dead_letters
            .iter()
            .map(|d| d.id.clone())
            .collect::<Vec<_>>(),
        ids
    );
    let letter = client
        .get_dead_letter(gw.request(
            GetDeadLetterRequest {
                stream: "batches".into(),
                id: undecodable.clone(),
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!letter.decoded);
    assert!(
        letter.payload_text.contains("BatchMessage"),
        "{}",
        letter.payload_text
    );
    assert_eq!(
        letter.failed_at.as_deref(),
        Some("2025-12-01T10:00:00.000Z")
    );
    let missing = client
        .get_dead_letter(gw.admin_request(GetDeadLetterRequest {
            stream: "files".into(),
            id: "1-1".into(),
        }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let bad = client
        .list_dead_letters(gw.admin_request(ListDeadLettersRequest {
            stream: "x".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        (bad.code(), field_of(&bad).as_str()),
        (tonic::Code::InvalidArgument, "stream")
    );

    let refused = client
        .requeue_dead_letters(gw.request(
            RequeueDeadLettersRequest {
                stream: "files".into(),
                ids: vec![],
                all: true,
            },
            &gw.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let both = client
        .requeue_dead_letters(gw.admin_request(RequeueDeadLettersRequest {
            stream: "files".into(),
            ids: vec![ids[0].clone()],
            all: true,
        }))
        .await
        .unwrap_err();
    assert_eq!(field_of(&both), "all");
    let one = client
        .requeue_dead_letters(gw.admin_request(RequeueDeadLettersRequest {
            stream: "files".into(),
            ids: vec![ids[2].clone()],
            all: false,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.requeued, 1);
    assert_eq!(stream_paths(&gw).await, ["/cams/front/2.jpg"]);
    let all = client
        .requeue_dead_letters(gw.admin_request(RequeueDeadLettersRequest {
            stream: "files".into(),
            ids: vec![],
            all: true,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.requeued, 2);
    assert_eq!(stream_paths(&gw).await.len(), 3);
    // The picked-up messages are delivered afresh.
    let reader = consumer::<FileMessage>(&gw, "detection-worker", "dw-2");
    let again = reader.receive(10).await.unwrap();
    assert_eq!(again.len(), 3);
    assert!(again.iter().all(|d| d.delivery_count == 1));
}

async fn media_file(
    gw: &Gateway,
    camera: Option<&str>,
    path: &str,
    state: &str,
    reason: Option<&str>,
    age: &str,
) {
    let camera = camera.map_or("NULL".to_owned(), |c| format!("'{c}'"));
    let reason = reason.map_or("NULL".to_owned(), |r| format!("'{r}'"));
    let accepted = if state == "accepted" || state == "abandoned" {
        format!(
            "repeat(md5('{path}'), 2), '{}', 'image'",
            uuid::Uuid::new_v4().simple()
        )
    } else {
        "NULL, NULL, NULL".to_owned()
    };
    gw.exec(&format!(
        "INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, sha256, message_id, media_kind, \
         state, refusal_reason, refusal_detail, created_at) VALUES ({camera}, '{path}', \
         convert_to('{path}', 'UTF8'), 10, {accepted}, '{state}', {reason}, \
         CASE WHEN {reason} IS NULL THEN NULL ELSE 'because' END, now() - interval '{age}')"
    ))
    .await;
}

#[tokio::test]
async fn refused_files_are_listed_newest_first_with_filters_and_pages() {
    let gw = Gateway::start().await;
    gw.camera("front", "Front").await;
    media_file(
        &gw,
        Some("front"),
        "/cams/front/ok.jpg",
        "accepted",
        None,
        "1 minute",
    )
    .await;
    media_file(
        &gw,
        Some("front"),
        "/cams/front/tiny.jpg",
        "refused",
        Some("too_small"),
        "2 minutes",
    )
    .await;
    media_file(
        &gw,
        None,
        "/cams/stray.jpg",
        "refused",
        Some("not_in_camera_folder"),
        "3 minutes",
    )
    .await;
    media_file(
        &gw,
        Some("front"),
        "/cams/front/lost.jpg",
        "abandoned",
        Some("not_processed"),
        "4 minutes",
    )
    .await;
    media_file(
        &gw,
        Some("front"),
        "/cams/front/old.jpg",
        "refused",
        Some("too_small"),
        "2 days",
    )
    .await;

    let paths = |body: &Value| -> Vec<String> {
        body["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, all) = gw.get_json("/api/v1/system/refused-files").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        paths(&all),
        [
            "/cams/front/tiny.jpg",
            "/cams/stray.jpg",
            "/cams/front/lost.jpg",
            "/cams/front/old.jpg"
        ]
    );
    let tiny = &all["files"][0];
    assert_eq!(
        (tiny["state"].as_str(), tiny["reason"].as_str()),
        (Some("refused"), Some("too_small"))
    );
    assert_eq!(tiny["detail"], "because");
    assert_eq!(tiny["camera_id"], "front");
    assert!(all["files"][1].get("camera_id").is_none_or(Value::is_null));
    assert_eq!(all["files"][2]["state"], "abandoned");

    let (_, small) = gw
        .get_json("/api/v1/system/refused-files?reason=too_small")
        .await;
    assert_eq!(
        paths(&small),
        ["/cams/front/tiny.jpg", "/cams/front/old.jpg"]
    );
    let since = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, recent) = gw
        .get_json(&format!(
            "/api/v1/system/refused-files?camera_id=front&since={since}"
        ))
        .await;
    assert_eq!(
        paths(&recent),
        ["/cams/front/tiny.jpg", "/cams/front/lost.jpg"]
    );
    let (status, err) = gw
        .get_json("/api/v1/system/refused-files?since=yesterday")
        .await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (400, Some("since"))
    );

    let mut client = client(&gw).await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = client
            .list_refused_files(gw.request(
                ListRefusedFilesRequest {
                    limit: 3,
                    cursor: cursor.clone(),
                    ..Default::default()
                },
                &gw.read_key,
            ))
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.files.into_iter().map(|f| f.path));
        if !page.has_more {
            break;
        }
        cursor = page.next_cursor;
    }
    assert_eq!(seen, paths(&all), "pages add up to the whole list");
    let bad = client
        .list_refused_files(gw.admin_request(ListRefusedFilesRequest {
            cursor: "junk".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(field_of(&bad), "cursor");
}

#[tokio::test]
async fn gpu_samples_are_listed_newest_first_in_a_window() {
    let gw = Gateway::start().await;
    for (age, utilisation) in [("10 minutes", 40.0), ("5 minutes", 55.5), ("2 hours", 10.0)] {
        gw.exec(&format!(
            "INSERT INTO gpu_stats (recorded_at, gpu_name, gpu_utilization, memory_used, memory_total, \
             temperature, power_usage, inference_fps) VALUES (now() - interval '{age}', 'H200', \
             {utilisation}, 2048, 141000, 61.0, 250.5, 30.0)"
        ))
        .await;
    }
    let (status, body) = gw.get_json("/api/v1/system/gpu-stats").await;
    assert_eq!(status, 200, "{body}");
    let samples = body["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 2, "the last hour by default");
    assert_eq!(samples[0]["gpu_utilization"], 55.5);
    assert_eq!(samples[0]["memory_used_mb"], 2048);
    assert_eq!(samples[0]["memory_total_mb"], 141000);
    assert_eq!(samples[0]["temperature_c"], 61.0);
    assert_eq!(samples[0]["power_w"], 250.5);
    assert_eq!(samples[0]["inference_fps"], 30.0);
    assert_eq!(samples[0]["gpu_name"], "H200");
    assert_eq!(body["has_more"], false);

    let since = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
    let mut client = client(&gw).await;
    let wide = client
        .list_gpu_stats(gw.request(
            ListGpuStatsRequest {
                since: Some(since.clone()),
                until: None,
                limit: 0,
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(wide.samples.len(), 3);
    let one = client
        .list_gpu_stats(gw.admin_request(ListGpuStatsRequest {
            since: Some(since),
            until: None,
            limit: 1,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((one.samples.len(), one.has_more), (1, true));
    let backwards = client
        .list_gpu_stats(gw.admin_request(ListGpuStatsRequest {
            since: Some("2026-12-02T00:00:00Z".into()),
            until: Some("2026-12-01T00:00:00Z".into()),
            limit: 0,
        }))
        .await
        .unwrap_err();
    assert_eq!(field_of(&backwards), "since");
    let (status, err) = gw.get_json("/api/v1/system/gpu-stats?limit=100000").await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (400, Some("limit"))
    );
}

#[tokio::test]
async fn pipeline_latency_is_measured_per_stage() {
    let gw = Gateway::start().await;
    gw.camera("front", "Front").await;
    // Stage 1: two files processed 2 s and 4 s after they were seen.
    let base = format!(
        "'{}'::timestamptz",
        (chrono::Utc::now() - chrono::Duration::minutes(30)).to_rfc3339()
    );
    for (n, secs) in [(1, 2), (2, 4)] {
        gw.exec(&format!(
            "WITH m AS (INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, sha256, message_id, \
             media_kind, state, observed_at) VALUES ('front', '/f/{n}', '\\x00', 1, repeat('a{n}', 32), \
             'msg-{n}', 'image', 'accepted', {base}) RETURNING id) \
             INSERT INTO processed_files (message_id, media_file_id, outcome, processed_at) \
             SELECT 'msg-{n}', id, 'detected', {base} + interval '{secs} seconds' FROM m"
        ))
        .await;
    }
    // Stage 2: a detection judged 1.5 s after it was seen.
    let detection = gw.detection("front", "person", "/f/1").await;
    gw.exec(&format!(
        "UPDATE detections SET detected_at = {base} WHERE id = {detection}"
    ))
    .await;
    let event = gw.event("front", 50, "s", "r", "person", &[]).await;
    gw.exec(&format!(
        "INSERT INTO event_detections (event_id, detection_id, created_at) \
         VALUES ({event}, {detection}, {base} + interval '1.5 seconds')"
    ))
    .await;
    // Stage 3: an alert delivered 250 ms after it was raised; one never delivered.
    gw.exec(&format!(
        "INSERT INTO alerts (event_id, dedup_key, created_at, delivered_at, delivery_state) VALUES \
         ({event}, 'k1', {base}, {base} + interval '250 milliseconds', 'delivered'), \
         ({event}, 'k2', {base}, NULL, 'none')"
    ))
    .await;

    let (status, body) = gw.get_json("/api/v1/system/latency").await;
    assert_eq!(status, 200, "{body}");
    let stage = |name: &str| {
        body["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap()
            .clone()
    };
    let files = stage("file_to_processed");
    assert_eq!(files["count"], 2);
    assert_eq!(files["p50_ms"], 3000.0);
    assert_eq!(files["max_ms"], 4000.0);
    assert!(
        (files["p95_ms"].as_f64().unwrap() - 3900.0).abs() < 1e-6,
        "{files}"
    );
    let judged = stage("detection_to_event");
    assert_eq!(
        (judged["count"].as_u64(), judged["p99_ms"].as_f64()),
        (Some(1), Some(1500.0))
    );
    let alerts = stage("event_to_alert");
    assert_eq!(
        (alerts["count"].as_u64(), alerts["max_ms"].as_f64()),
        (Some(1), Some(250.0))
    );

    let latency = client(&gw)
        .await
        .get_pipeline_latency(gw.request(
            GetPipelineLatencyRequest {
                since: Some("2020-01-01T00:00:00Z".into()),
                until: Some("2020-01-02T00:00:00Z".into()),
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        latency
            .stages
            .iter()
            .all(|s| s.count == 0 && s.p50_ms.is_none()),
        "an empty window"
    );
    let (status, err) = gw.get_json("/api/v1/system/latency?until=soon").await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (400, Some("until"))
    );
}

#[tokio::test]
async fn the_version_names_the_build_and_the_schema() {
    let gw = Gateway::start().await;
    let newest: String = gw
        .owner()
        .query_one(Statement::from_string(
            gw.owner().get_database_backend(),
            "SELECT max(version) AS v FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "v")
        .unwrap();
    let (status, body) = gw.get_json("/api/v1/system/version").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["schema_migration"], newest.as_str());
    assert!(!body["git_commit"].as_str().unwrap().is_empty());
    assert!(body["uptime_seconds"].as_i64().unwrap() >= 0);
    let version = client(&gw)
        .await
        .get_version(gw.request(GetSystemVersionRequest {}, &gw.read_key))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(version.schema_migration.as_deref(), Some(newest.as_str()));
    assert_eq!(version.version, env!("CARGO_PKG_VERSION"));
}
