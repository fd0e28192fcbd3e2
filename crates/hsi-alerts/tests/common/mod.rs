//! Shared set-up: a migrated database with a camera and events, rules inserted as the
//! owner, engines connected as the analysis worker, and a local webhook receiver.

#![allow(dead_code)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test set-up: failing loudly is the point

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use hsi_alerts::{AlertEngine, AlertSettings, DetectionFact, EventFacts};
use hsi_core::Service;
use hsi_db::entities::enums::AlertSeverity;
use hsi_db::entities::{alert_rules, alerts};
use hsi_testkit::TestDatabase;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    QueryFilter, Statement,
};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

pub const CAMERA: &str = "front_door";

/// A database with one camera.
pub struct Harness {
    pub db: TestDatabase,
}

impl Harness {
    pub async fn new() -> Self {
        let db = TestDatabase::migrated().await;
        db.conn
            .execute_unprepared(&format!(
                "INSERT INTO cameras (id, name, folder_path) VALUES ('{CAMERA}', 'Front door', '/cams/{CAMERA}')"
            ))
            .await
            .unwrap();
        Self { db }
    }

    /// An engine as a replica of the analysis worker would build it: its own role, its
    /// own pools.
    pub async fn engine(&self, settings: AlertSettings) -> AlertEngine {
        let conn = self.db.connect_as(Service::AnalysisWorker).await;
        AlertEngine::new(conn, settings).unwrap()
    }

    /// Inserts an event (as the analysis worker would have) and returns its id.
    pub async fn event(&self, risk_score: i32) -> i32 {
        let row = self
            .db
            .conn
            .query_one(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO events (batch_id, camera_id, started_at, risk_score) \
                 VALUES ($1, $2, now(), $3) RETURNING id",
                [
                    Uuid::new_v4().to_string().into(),
                    CAMERA.into(),
                    risk_score.into(),
                ],
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "id").unwrap()
    }

    /// Inserts a rule (as the gateway would) after `edit` has set its conditions.
    pub async fn rule(&self, name: &str, edit: impl FnOnce(&mut alert_rules::ActiveModel)) -> Uuid {
        let id = Uuid::new_v4();
        let mut row = alert_rules::ActiveModel {
            id: Set(id),
            name: Set(name.to_owned()),
            description: Set(None),
            enabled: Set(true),
            severity: Set(AlertSeverity::High),
            risk_threshold: Set(None),
            object_types: Set(None),
            camera_ids: Set(None),
            zone_ids: Set(None),
            min_confidence: Set(None),
            schedule: Set(None),
            conditions: Set(None),
            dedup_key_template: Set("{camera_id}:{rule_id}".to_owned()),
            cooldown_seconds: Set(300),
            channels: Set(None),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            fire_on_fast_path: Set(false),
        };
        edit(&mut row);
        row.insert(&self.db.conn).await.unwrap();
        id
    }

    /// Every alert of an event, oldest first.
    pub async fn alerts_of(&self, event_id: i32) -> Vec<alerts::Model> {
        alerts::Entity::find()
            .filter(alerts::Column::EventId.eq(event_id))
            .all(&self.db.conn)
            .await
            .unwrap()
    }

    /// Every alert in the database.
    pub async fn all_alerts(&self) -> Vec<alerts::Model> {
        alerts::Entity::find().all(&self.db.conn).await.unwrap()
    }
}

/// Facts of an event on the test camera: a person in the porch, a car in the driveway.
pub fn facts(event_id: i32, risk_score: i32, occurred_at: DateTime<Utc>) -> EventFacts {
    EventFacts {
        event_id,
        camera_id: CAMERA.to_owned(),
        risk_score,
        risk_level: String::new(),
        object_types: vec!["person".to_owned(), "car".to_owned()],
        detections: vec![
            DetectionFact {
                object_type: "person".to_owned(),
                confidence: 0.91,
                zone_ids: vec!["porch".to_owned()],
            },
            DetectionFact {
                object_type: "car".to_owned(),
                confidence: 0.75,
                zone_ids: vec!["driveway".to_owned()],
            },
        ],
        occurred_at,
    }
}

/// Settings for tests: local receivers allowed, short timeouts and back-off.
pub fn local_settings() -> AlertSettings {
    AlertSettings {
        allow_private_destinations: true,
        webhook_timeout_ms: 1_000,
        webhook_retries: 3,
        retry_base_ms: 20,
        delivery_timeout_ms: 5_000,
        rules_cache_secs: 0,
        redelivery_base_ms: 100,
        redelivery_max_ms: 1_000,
        outbox_poll_ms: 100,
        ..AlertSettings::default()
    }
}

/// How the receiver answers its n-th request (0-based).
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Status(u16),
    /// Never answers (until the client gives up).
    Hang,
}

struct ReceiverState {
    answer: Box<dyn Fn(usize) -> Reply + Send + Sync>,
    requests: AtomicUsize,
    bodies: Mutex<Vec<(HeaderMap, Value)>>,
}

/// A webhook receiver on 127.0.0.1; a remote receiver cannot run in tests.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<ReceiverState>,
}

impl Receiver {
    pub async fn start(answer: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_on(0, answer).await
    }

    /// A receiver on a given port (0: any free one), to bring one back where a down
    /// receiver was.
    pub async fn start_on(
        port: u16,
        answer: impl Fn(usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let state = Arc::new(ReceiverState {
            answer: Box::new(answer),
            requests: AtomicUsize::new(0),
            bodies: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// A `channels` value with one webhook to this receiver.
    pub fn channels(&self) -> Value {
        serde_json::json!([{"type": "webhook", "url": self.url(), "headers": {"X-Token": "t0ken"}}])
    }

    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    pub fn bodies(&self) -> Vec<(HeaderMap, Value)> {
        self.state.bodies.lock().unwrap().clone()
    }
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let n = state.requests.fetch_add(1, Ordering::SeqCst);
    state.bodies.lock().unwrap().push((headers, body));
    match (state.answer)(n) {
        Reply::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::OK.into_response()
        }
    }
}
