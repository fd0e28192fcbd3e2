//! Watching new events, gRPC stream and WebSocket, fed by the real analysis path: an
//! analysis worker runs in-process on the gateway's database and Redis prefix, judges
//! batches with its rule-based fallback (no LLM answers), writes each event with its
//! alert and announces it on the channel the gateway listens to. A watcher that
//! disconnects and reconnects with the last id it received gets what it missed, once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use futures::StreamExt as _;
use hsi_api_gateway::pb::event_service_client::EventServiceClient;
use hsi_api_gateway::pb::{WatchEventsRequest, WatchEventsResponse};
use hsi_core::Service;
use hsi_proto::v1::BatchMessage;
use hsi_queue::{Producer, QueueSettings};
use sea_orm::{ConnectionTrait, Statement};
use std::time::Duration;
use support::Gateway;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// How long an event may take from batch to watcher on a busy machine.
const PATIENCE: Duration = Duration::from_secs(90);

/// The analysis worker, running on the gateway's database and Redis prefix.
struct Analysis {
    producer: Producer<BatchMessage>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), hsi_analysis_worker::Error>>,
    detections: Vec<i64>,
}

impl Analysis {
    async fn start(gw: &Gateway) -> Self {
        gw.camera("front_door", "Front Door").await;
        gw.exec("INSERT INTO alert_rules (name, severity, cooldown_seconds) VALUES ('every event', 'high', 0)")
            .await;
        let mut detections = Vec::new();
        for n in 0..3 {
            let id = gw
                .detection("front_door", "person", &format!("/cams/front_door/{n}.jpg"))
                .await;
            detections.push(i64::from(id));
        }
        let dead_llm = format!(
            "http://127.0.0.1:{}/v1",
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        );
        let mut settings = hsi_analysis_worker::Settings::default();
        settings.database.url =
            hsi_core::settings::SecretUrl::new(gw.db.url_for(Service::AnalysisWorker));
        settings.database.max_connections = 4;
        settings.database.min_connections = 0;
        // The same Redis prefix: its batches stream, and the events channel the gateway hears.
        settings.redis = gw.redis.settings();
        settings.queue = QueueSettings {
            block_ms: 100,
            visibility_timeout_ms: 5_000,
            retry_base_ms: 50,
            ..QueueSettings::default()
        };
        settings.llm.base_url = dead_llm;
        settings.llm.attempts = 1;
        settings.llm.retry_base_ms = 10;
        settings.grpc.listen = None;
        settings.alerts.allow_private_destinations = true;
        let producer = Producer::new(
            hsi_queue::redis_pool(&gw.redis.settings()).unwrap(),
            &gw.redis.prefix,
            &settings.queue,
            "batch-aggregator",
        );
        let stop = CancellationToken::new();
        let task = tokio::spawn(hsi_analysis_worker::run(settings, stop.clone()));
        Self {
            producer,
            stop,
            task,
            detections,
        }
    }

    /// Hands the worker a batch of the `n`th detection (what the batch aggregator does).
    async fn batch(&self, n: usize) {
        assert!(!self.task.is_finished(), "the analysis worker stopped");
        self.producer
            .publish(BatchMessage {
                batch_id: format!("batch-{n}"),
                camera_id: "front_door".into(),
                detection_ids: vec![self.detections[n]],
                ..BatchMessage::default()
            })
            .await
            .unwrap();
    }

    async fn stop(self) {
        self.stop.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.task).await;
    }
}

/// Waits until the gateway's live subscription is in place (announcements made before
/// it would reach nobody live; they would only be found on the next read).
async fn gateway_listens(gw: &Gateway) {
    let pool = hsi_queue::redis_pool(&gw.redis.settings()).unwrap();
    let channel = format!("{}events", gw.redis.prefix);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let mut conn = pool.get().await.unwrap();
        let (_, count): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(&channel)
            .query_async(&mut *conn)
            .await
            .unwrap();
        if count > 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the gateway never subscribed to {channel}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `count` events are written.
async fn events_written(gw: &Gateway, count: i64) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let written: i64 = gw
            .owner()
            .query_one(Statement::from_string(
                gw.owner().get_database_backend(),
                "SELECT count(*) AS n FROM events",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        if written >= count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {written} of {count} events were written"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn next(stream: &mut tonic::Streaming<WatchEventsResponse>) -> WatchEventsResponse {
    tokio::time::timeout(PATIENCE, stream.message())
        .await
        .expect("an event in time")
        .expect("the stream is healthy")
        .expect("the stream goes on")
}

fn check(message: &WatchEventsResponse, batch: &str) -> i64 {
    let event = message.event.as_ref().expect("an event");
    assert_eq!(event.batch_id, batch, "{message:?}");
    assert_eq!(
        (event.camera_id.as_str(), event.camera_name.as_str()),
        ("front_door", "Front Door")
    );
    assert!(
        event.risk_level.is_some() && event.summary.is_some(),
        "judged: {event:?}"
    );
    assert_eq!(
        message.alerts.len(),
        1,
        "its alert comes with it: {message:?}"
    );
    assert_eq!(message.alerts[0].severity, "high");
    event.id
}

#[tokio::test]
async fn a_grpc_watcher_gets_each_new_event_and_resumes_without_a_gap() {
    let gw = Gateway::start().await;
    let analysis = Analysis::start(&gw).await;
    gateway_listens(&gw).await;
    let mut client = EventServiceClient::new(gw.channel().await);

    let mut stream = client
        .watch_events(gw.request(
            WatchEventsRequest {
                after_event_id: None,
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    analysis.batch(0).await;
    let first = check(&next(&mut stream).await, "batch-0");

    // Disconnected while the next event is judged ...
    drop(stream);
    analysis.batch(1).await;
    events_written(&gw, 2).await;
    // ... and back with the last id received: the missed event, then live ones, once each.
    let mut stream = client
        .watch_events(gw.request(
            WatchEventsRequest {
                after_event_id: Some(first),
            },
            &gw.read_key,
        ))
        .await
        .unwrap()
        .into_inner();
    let second = check(&next(&mut stream).await, "batch-1");
    analysis.batch(2).await;
    let third = check(&next(&mut stream).await, "batch-2");
    assert!(first < second && second < third);

    let refused = client
        .watch_events(gw.request(
            WatchEventsRequest {
                after_event_id: Some(-1),
            },
            &gw.read_key,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    let anonymous = client
        .watch_events(tonic::Request::new(WatchEventsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    analysis.stop().await;
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_frame(socket: &mut Socket) -> WatchEventsResponse {
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a good frame");
        match frame {
            // The same JSON as the gRPC message (unknown fields would be refused).
            Message::Text(text) => {
                return serde_json::from_str(text.as_str())
                    .unwrap_or_else(|e| panic!("{e}: {text}"))
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_websocket_watcher_gets_each_new_event_and_resumes_without_a_gap() {
    let gw = Gateway::start().await;
    let analysis = Analysis::start(&gw).await;
    gateway_listens(&gw).await;
    let url = format!("ws://{}/ws/events", gw.http);

    // Without a key the upgrade is refused.
    let refused = tokio_tungstenite::connect_async(url.clone())
        .await
        .unwrap_err();
    match refused {
        tokio_tungstenite::tungstenite::Error::Http(response) => assert_eq!(response.status(), 401),
        other => panic!("expected an HTTP refusal, got {other}"),
    }

    // The key in the Authorization header.
    let mut request = url.clone().into_client_request().unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", gw.read_key).parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    analysis.batch(0).await;
    let first = check(&next_frame(&mut socket).await, "batch-0");
    socket.close(None).await.unwrap();
    drop(socket);

    analysis.batch(1).await;
    events_written(&gw, 2).await;

    // Back as a browser would come: the key as a subprotocol next to hsi.v1.
    let mut request = format!("{url}?after_event_id={first}")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("hsi.v1, hsi-key.{}", gw.read_key).parse().unwrap(),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "hsi.v1");
    let second = check(&next_frame(&mut socket).await, "batch-1");
    analysis.batch(2).await;
    let third = check(&next_frame(&mut socket).await, "batch-2");
    assert!(first < second && second < third);
    socket.close(None).await.unwrap();

    // A bad resume point is refused before the upgrade, naming the parameter.
    let mut request = format!("{url}?after_event_id=soon")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", gw.read_key).parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await.unwrap_err() {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 400);
            let body = String::from_utf8(response.into_body().unwrap_or_default()).unwrap();
            assert!(body.contains("after_event_id"), "{body}");
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
    analysis.stop().await;
}

#[tokio::test]
async fn revoking_a_key_ends_its_open_watch_streams() {
    let gw = Gateway::start_with(|s| s.auth.cache_ttl_ms = 200).await;
    gateway_listens(&gw).await;
    let (status, created) = gw
        .send_json(
            reqwest::Method::POST,
            "/api/v1/api-keys",
            serde_json::json!({"name": "tablet", "scope": "read"}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let (id, secret) = (
        created["key"]["id"].as_i64().unwrap(),
        created["secret"].as_str().unwrap().to_owned(),
    );

    // A WebSocket and a gRPC stream, both open with the key.
    let mut request = format!("ws://{}/ws/events", gw.http)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("hsi.v1, hsi-key.{secret}").parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut client = EventServiceClient::new(gw.channel().await);
    let mut stream = client
        .watch_events(gw.request(
            WatchEventsRequest {
                after_event_id: None,
            },
            &secret,
        ))
        .await
        .unwrap()
        .into_inner();

    let response = gw
        .admin(reqwest::Method::DELETE, &format!("/api/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // The socket says why, then closes with 1008 so a console signs out.
    let mut said_why = false;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("the socket ends soon after the revocation")
            .expect("a close frame before the end")
            .expect("a good frame");
        match frame {
            Message::Text(text) => {
                assert!(
                    text.contains("unauthenticated") && text.contains("revoked"),
                    "{text}"
                );
                said_why = true;
            }
            Message::Close(Some(close)) => {
                assert_eq!(u16::from(close.code), 1008, "{close:?}");
                break;
            }
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
    assert!(said_why, "an error frame came before the close");

    let ended = tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("the gRPC stream ends soon after the revocation")
        .unwrap_err();
    assert_eq!(ended.code(), tonic::Code::Unauthenticated, "{ended:?}");
    assert!(ended.message().contains("revoked"), "{ended:?}");
}
