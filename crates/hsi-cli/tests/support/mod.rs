//! A gateway per test (its own database and Redis prefix, REST on a port the OS picks,
//! an admin key) and the real `hsi` binary run against it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use hsi_api_gateway::{App, Settings};
use hsi_core::settings::SecretUrl;
use hsi_core::Service;
use hsi_proto::v1::FileMessage;
use hsi_queue::{Consumer, Producer, QueueSettings};
use hsi_testkit::{TestDatabase, TestRedis};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

/// What one run of `hsi` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Standard output as JSON (the run must have succeeded).
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "hsi failed: {self:?}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {}", self.stdout))
    }

    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "hsi failed: {self:?}");
        self
    }
}

/// A running gateway, and how to reach its database and Redis directly.
pub struct World {
    pub db: TestDatabase,
    pub redis: TestRedis,
    pub app: App,
    pub http: SocketAddr,
    pub admin_key: String,
    pub shutdown: CancellationToken,
}

impl World {
    pub async fn start() -> Self {
        let db = TestDatabase::migrated().await;
        let redis = TestRedis::new();
        let mut settings = Settings::default();
        settings.database.url = SecretUrl::new(db.url_for(Service::Gateway));
        settings.database.max_connections = 4;
        settings.database.min_connections = 0;
        settings.redis = redis.settings();
        settings.services.detection_worker = "http://127.0.0.1:9".to_owned();
        settings.services.analysis_worker = "http://127.0.0.1:9".to_owned();
        settings.metrics.listen = None;
        let conn = hsi_db::connect(&settings.database).await.expect("connect");
        let pool = hsi_queue::redis_pool(&settings.redis).expect("redis pool");
        let app = App::new(conn, pool, settings).expect("app");
        let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let http_addr = http.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(hsi_api_gateway::serve(
            app.clone(),
            Some(http),
            None,
            shutdown.clone(),
        ));
        let admin_key =
            hsi_api_gateway::resources::keys::create_key(&app.db, "test-admin", "admin", "test")
                .await
                .expect("create key")
                .secret;
        Self {
            db,
            redis,
            app,
            http: http_addr,
            admin_key,
            shutdown,
        }
    }

    pub fn api_url(&self) -> String {
        format!("http://{}", self.http)
    }

    /// Runs `hsi ARGS` against this world, with the admin key in `HSI_API_KEY`.
    pub async fn hsi(&self, args: &[&str]) -> Run {
        self.hsi_as(&self.api_url(), Some(&self.admin_key), args)
            .await
    }

    /// Runs `hsi ARGS` against the gateway at `api` with `key` (in `HSI_API_KEY`).
    pub async fn hsi_as(&self, api: &str, key: Option<&str>, args: &[&str]) -> Run {
        let database = self.db.url_for(Service::Gateway);
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_hsi"));
        command
            .args(["--api", api, "--database-url", &database, "--redis-url"])
            .arg(&self.redis.url)
            .args(["--redis-prefix", &self.redis.prefix])
            .args(args)
            .kill_on_drop(true);
        // Nothing from the developer's shell (HSI__DATABASE__URL, HSI_CONFIG, ...) may
        // leak into what the test checks.
        for (name, _) in std::env::vars() {
            if name.starts_with("HSI_") {
                command.env_remove(name);
            }
        }
        if let Some(key) = key {
            command.env("HSI_API_KEY", key);
        }
        let output = tokio::time::timeout(std::time::Duration::from_secs(60), command.output())
            .await
            .expect("hsi finished within 60 s")
            .expect("hsi ran");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// The database as the owner role, to arrange rows no API writes.
    pub fn owner(&self) -> &DatabaseConnection {
        &self.db.conn
    }

    pub async fn exec(&self, sql: &str) {
        self.owner()
            .execute_unprepared(sql)
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
    }

    pub async fn query_strings(&self, sql: &str) -> Vec<String> {
        let rows = self
            .owner()
            .query_all(Statement::from_string(
                self.owner().get_database_backend(),
                sql,
            ))
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
        rows.iter()
            .map(|r| r.try_get_by_index(0).unwrap())
            .collect()
    }

    /// `count` files published on the files stream and given up on by a consumer of
    /// the detection-worker's group; answers the paths, oldest first.
    pub async fn bury_files(&self, count: usize, tag: &str) -> Vec<String> {
        let settings = QueueSettings::default();
        let producer: Producer<FileMessage> = Producer::new(
            self.app.redis.clone(),
            &self.redis.prefix,
            &settings,
            "file-watcher",
        );
        let mut paths = Vec::new();
        for n in 0..count {
            let path = format!("/cams/front/{tag}-{n}.jpg");
            producer
                .publish(FileMessage {
                    camera_id: "front".into(),
                    path: path.clone().into_bytes(),
                    path_display: path.clone(),
                    ..Default::default()
                })
                .await
                .expect("publish");
            paths.push(path);
        }
        let consumer: Consumer<FileMessage> = Consumer::new(
            self.app.redis.clone(),
            &self.redis.prefix,
            "detection-worker",
            "test-consumer",
            &settings,
        );
        let deliveries = consumer.receive(count).await.expect("receive");
        assert_eq!(deliveries.len(), count);
        for delivery in &deliveries {
            consumer
                .dead_letter(
                    delivery,
                    &format!("cannot read {}", delivery.message.path_display),
                )
                .await
                .expect("dead letter");
        }
        paths
    }

    /// Entries of a stream (key after the prefix): (id, decoded file path).
    pub async fn files_on(&self, key: &str) -> Vec<(String, String)> {
        use prost::Message as _;
        let mut conn = self.app.redis.get().await.unwrap();
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(format!("{}{key}", self.redis.prefix))
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
                let message = FileMessage::decode(payload.as_slice()).unwrap();
                (entry.id.clone(), message.path_display)
            })
            .collect()
    }

    pub async fn camera(&self, id: &str, name: &str) {
        self.exec(&format!(
            "INSERT INTO cameras (id, name, folder_path) VALUES ('{id}', '{name}', '/cams/{id}')"
        ))
        .await;
    }

    /// An event as the analysis-worker writes it; answers its id.
    pub async fn event(&self, camera: &str, score: i32, level: &str, summary: &str) -> i64 {
        let row = self
            .owner()
            .query_one(Statement::from_sql_and_values(
                self.owner().get_database_backend(),
                "INSERT INTO events (batch_id, camera_id, started_at, ended_at, risk_score, \
                 risk_level, summary, reasoning, object_types, detection_ids) \
                 VALUES ($1, $2, now(), now(), $3, $4, $5, 'seen on camera', 'person', '[]') \
                 RETURNING id",
                [
                    uuid::Uuid::new_v4().simple().to_string().into(),
                    camera.into(),
                    score.into(),
                    level.into(),
                    summary.into(),
                ],
            ))
            .await
            .unwrap()
            .unwrap();
        let id: i32 = row.try_get("", "id").unwrap();
        i64::from(id)
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
