//! A gateway per test: its own database and Redis prefix, REST and gRPC on ports the OS
//! picks, and one key of each scope.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use hsi_api_gateway::pb;
use hsi_api_gateway::{App, Settings};
use hsi_core::settings::SecretUrl;
use hsi_core::Service;
use hsi_testkit::{TestDatabase, TestRedis};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

/// A running gateway.
pub struct Gateway {
    pub db: TestDatabase,
    pub redis: TestRedis,
    pub app: App,
    pub http: SocketAddr,
    pub grpc: SocketAddr,
    pub admin_key: String,
    pub operator_key: String,
    pub read_key: String,
    pub client: reqwest::Client,
    pub shutdown: CancellationToken,
    pub media_dir: tempdir::Dir,
}

pub mod tempdir {
    /// A folder removed on drop.
    #[derive(Debug)]
    pub struct Dir(pub std::path::PathBuf);

    impl Dir {
        pub fn new() -> Self {
            let path =
                std::env::temp_dir().join(format!("hsi-gw-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path.canonicalize().unwrap())
        }

        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The field a gRPC error names (the `hsi-error-field` metadata), if any.
pub fn error_field(status: &tonic::Status) -> Option<String> {
    status
        .metadata()
        .get("hsi-error-field")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl Gateway {
    /// A gateway with the default settings but for the database, Redis, ports and media.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`Gateway::start`], after `adjust` had its say on the settings.
    pub async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDatabase::migrated().await;
        let redis = TestRedis::new();
        let media_dir = tempdir::Dir::new();
        let mut settings = Settings::default();
        settings.database.url = SecretUrl::new(db.url_for(Service::Gateway));
        settings.database.max_connections = 8;
        settings.database.min_connections = 0;
        settings.redis = redis.settings();
        settings.media.roots = vec![media_dir.path().to_path_buf()];
        // Nothing listens there: forwarded calls fail fast unless a test starts one.
        settings.services.detection_worker = "http://127.0.0.1:9".to_owned();
        settings.services.analysis_worker = "http://127.0.0.1:9".to_owned();
        settings.services.timeout_ms = 5_000;
        settings.metrics.listen = None;
        adjust(&mut settings);
        let conn = hsi_db::connect(&settings.database)
            .await
            .expect("connect as hsi_gateway");
        let pool = hsi_queue::redis_pool(&settings.redis).expect("redis pool");
        let app = App::new(conn, pool, settings).expect("app");
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http_addr = http.local_addr().unwrap();
        let grpc_addr = grpc.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(hsi_api_gateway::serve(
            app.clone(),
            Some(http),
            Some(grpc),
            shutdown.clone(),
        ));
        let key = |scope: &'static str| {
            let db = app.db.clone();
            async move {
                hsi_api_gateway::resources::keys::create_key(
                    &db,
                    &format!("test-{scope}"),
                    scope,
                    "test",
                )
                .await
                .expect("create key")
                .secret
            }
        };
        let admin_key = key("admin").await;
        let operator_key = key("operator").await;
        let read_key = key("read").await;
        Self {
            db,
            redis,
            app,
            http: http_addr,
            grpc: grpc_addr,
            admin_key,
            operator_key,
            read_key,
            client: reqwest::Client::new(),
            shutdown,
            media_dir,
        }
    }

    /// (action, status) of every audit row, oldest first.
    pub async fn audit_trail(&self) -> Vec<(String, String)> {
        let rows = self
            .owner()
            .query_all(Statement::from_string(
                self.owner().get_database_backend(),
                "SELECT action, status FROM audit_logs ORDER BY seq",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| {
                (
                    r.try_get("", "action").unwrap(),
                    r.try_get("", "status").unwrap(),
                )
            })
            .collect()
    }

    /// The database as the owner role, to arrange rows no API writes (events, detections).
    pub fn owner(&self) -> &DatabaseConnection {
        &self.db.conn
    }

    pub async fn exec(&self, sql: &str) {
        self.owner()
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// A request with the admin key.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.with_key(method, path, &self.admin_key)
    }

    pub fn with_key(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    /// GET with the admin key, answering status and JSON.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.admin(reqwest::Method::GET, path).send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// A request with a JSON body and the admin key, answering status and JSON.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let response = self.admin(method, path).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// A gRPC channel to the gateway.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// A gRPC request carrying `key`.
    pub fn request<T>(&self, message: T, key: &str) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {key}").parse().unwrap());
        request
    }

    /// A gRPC request with the admin key.
    pub fn admin_request<T>(&self, message: T) -> tonic::Request<T> {
        self.request(message, &self.admin_key)
    }

    /// Inserts a camera (as the file-watcher would).
    pub async fn camera(&self, id: &str, name: &str) {
        self.exec(&format!(
            "INSERT INTO cameras (id, name, folder_path) VALUES ('{id}', '{name}', '/cams/{id}')"
        ))
        .await;
    }

    /// Inserts a detection (as the detection-worker would); answers its id.
    pub async fn detection(&self, camera: &str, object: &str, file_path: &str) -> i32 {
        let row = self
            .owner()
            .query_one(Statement::from_string(
                self.owner().get_database_backend(),
                format!(
                    "INSERT INTO detections (camera_id, file_path, object_type, confidence, bbox_x, bbox_y, \
                     bbox_width, bbox_height, frame_width, frame_height, source_message_id) \
                     VALUES ('{camera}', '{file_path}', '{object}', 0.9, 10, 20, 30, 40, 640, 480, \
                     '{}') RETURNING id",
                    uuid::Uuid::new_v4().simple()
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "id").unwrap()
    }

    /// Inserts an event over `detections` (as the analysis-worker would); answers its id.
    pub async fn event(
        &self,
        camera: &str,
        score: i32,
        summary: &str,
        reasoning: &str,
        objects: &str,
        detections: &[i32],
    ) -> i32 {
        let level = match score {
            0..=29 => "low",
            30..=59 => "medium",
            60..=84 => "high",
            _ => "critical",
        };
        let row = self
            .owner()
            .query_one(Statement::from_sql_and_values(
                self.owner().get_database_backend(),
                "INSERT INTO events (batch_id, camera_id, started_at, ended_at, risk_score, risk_level, \
                 summary, reasoning, object_types, detection_ids) \
                 VALUES ($1, $2, now(), now(), $3, $4, $5, $6, $7, $8) RETURNING id",
                [
                    uuid::Uuid::new_v4().simple().to_string().into(),
                    camera.into(),
                    score.into(),
                    level.into(),
                    summary.into(),
                    reasoning.into(),
                    objects.into(),
                    serde_json::to_string(detections).unwrap().into(),
                ],
            ))
            .await
            .unwrap()
            .unwrap();
        let id: i32 = row.try_get("", "id").unwrap();
        for detection in detections {
            self.exec(&format!(
                "INSERT INTO event_detections (event_id, detection_id) VALUES ({id}, {detection})"
            ))
            .await;
        }
        id
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Keeps `pb` in use for tests that only speak REST.
pub fn _pb_marker(_: pb::Camera) {}
