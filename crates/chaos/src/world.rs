//! What one scenario runs against: a fresh database, a private Redis with an append-only
//! file, camera and thumbnail folders, a webhook receiver, an LLM server of its own (or
//! none), and the four services' settings.

use crate::receiver::Receiver;
use crate::services::{Launcher, ServiceProcess, SERVICES};
use hsi_core::Service;
use hsi_testkit::{RedisServer, TestDatabase};
use sea_orm::ConnectionTrait;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the judge comes from.
#[derive(Debug, Clone)]
pub enum Llm {
    /// An OpenAI-compatible server already running at this base URL.
    Url(String),
    /// A llama.cpp server this run starts (and kills and restarts): python and model.
    Managed { python: PathBuf, model: PathBuf },
    /// No server: every event is judged by the rule-based scorer.
    None,
}

/// The inputs every scenario shares.
#[derive(Debug, Clone)]
pub struct Setup {
    pub launcher: Launcher,
    pub model: PathBuf,
    pub llm: Llm,
    /// Where logs of every run go (one folder per scenario).
    pub logs: PathBuf,
}

/// A managed LLM server process.
#[derive(Debug)]
pub struct LlmServer {
    python: PathBuf,
    model: PathBuf,
    port: u16,
    log: PathBuf,
    child: Option<Child>,
}

impl LlmServer {
    fn start(python: &Path, model: &Path, log: PathBuf) -> std::io::Result<Self> {
        let mut server = Self {
            python: python.to_path_buf(),
            model: model.to_path_buf(),
            port: free_port()?,
            log,
            child: None,
        };
        server.up()?;
        Ok(server)
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Starts it (again) and waits until it answers.
    pub fn up(&mut self) -> std::io::Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(&self.python)
            .args(["-m", "llama_cpp.server", "--model"])
            .arg(&self.model)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            // One generating thread: under load, two collapse (see MODELS.md).
            .args([
                "--n_ctx",
                "2048",
                "--n_threads",
                "1",
                "--n_threads_batch",
                "2",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(std::io::Error::other(format!(
            "the LLM server did not start; see {}",
            self.log.display()
        )))
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for LlmServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Everything one scenario runs against; dropping it removes the database, stops every
/// process and deletes the folders.
#[derive(Debug)]
pub struct World {
    pub db: TestDatabase,
    pub redis: RedisServer,
    pub dir: tempfile::TempDir,
    pub receiver: Receiver,
    pub llm: Option<LlmServer>,
    pub services: Vec<ServiceProcess>,
}

/// The key prefix of the scenario's private Redis.
const PREFIX: &str = "hsi:";

impl World {
    /// Builds the world of a scenario and starts its services.
    pub async fn start(setup: &Setup, name: &str) -> Result<Self, String> {
        Self::start_with(setup, name, &[]).await
    }

    /// [`World::start`], with settings of its own: (service, `HSI__...` key, value).
    pub async fn start_with(
        setup: &Setup,
        name: &str,
        overrides: &[(&str, &str, &str)],
    ) -> Result<Self, String> {
        let logs = setup.logs.join(name);
        std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
        let db = TestDatabase::migrated().await;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir.path().join("cameras")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(dir.path().join("redis")).map_err(|e| e.to_string())?;
        let redis = RedisServer::start_persistent(&dir.path().join("redis"));
        let receiver = Receiver::start().await.map_err(|e| e.to_string())?;
        let llm = match &setup.llm {
            Llm::Managed { python, model } => Some(
                LlmServer::start(python, model, logs.join("llm-server.log"))
                    .map_err(|e| e.to_string())?,
            ),
            _ => None,
        };
        // Every event matches, so every event owes one delivery to the receiver.
        db.conn
            .execute_unprepared(&format!(
                "INSERT INTO alert_rules (name, severity, risk_threshold, cooldown_seconds, channels) \
                 VALUES ('every event', 'high', 0, 0, '[{{\"type\": \"webhook\", \"url\": \"{}\"}}]')",
                receiver.url()
            ))
            .await
            .map_err(|e| e.to_string())?;
        let llm_url = match (&setup.llm, &llm) {
            (_, Some(server)) => server.base_url(),
            (Llm::Url(url), None) => url.clone(),
            // Nothing listens there: the rule-based scorer judges at once.
            _ => format!(
                "http://127.0.0.1:{}/v1",
                free_port().map_err(|e| e.to_string())?
            ),
        };
        let mut world = Self {
            db,
            redis,
            dir,
            receiver,
            llm,
            services: Vec::new(),
        };
        for name in SERVICES {
            let mut env = world.env(name, setup, &llm_url);
            for (service, key, value) in overrides {
                if *service == name {
                    env.retain(|(k, _)| k != key);
                    env.push(((*key).to_owned(), (*value).to_owned()));
                }
            }
            let mut service = ServiceProcess::new(name, setup.launcher.clone(), env, &logs);
            service
                .start()
                .map_err(|e| format!("starting {name}: {e}"))?;
            world.services.push(service);
        }
        Ok(world)
    }

    pub fn cameras(&self) -> PathBuf {
        self.dir.path().join("cameras")
    }

    pub fn redis_url(&self) -> String {
        self.redis.url()
    }

    /// A service's settings, as environment variables: short windows and sweeps, so a
    /// scenario ends in minutes.
    fn env(&self, service: &str, setup: &Setup, llm_url: &str) -> Vec<(String, String)> {
        let role = match service {
            "file-watcher" => Service::FileWatcher,
            "detection-worker" => Service::DetectionWorker,
            "batch-aggregator" => Service::BatchAggregator,
            _ => Service::AnalysisWorker,
        };
        let mut env: Vec<(&str, String)> = vec![
            ("HSI__DATABASE__URL", self.db.url_for(role)),
            ("HSI__DATABASE__MAX_CONNECTIONS", "4".into()),
            ("HSI__REDIS__URL", self.redis_url()),
            ("HSI__REDIS__KEY_PREFIX", PREFIX.into()),
            ("HSI__QUEUE__VISIBILITY_TIMEOUT_MS", "15000".into()),
            ("HSI__QUEUE__BLOCK_MS", "500".into()),
            ("HSI__QUEUE__RETRY_BASE_MS", "500".into()),
            ("HSI__QUEUE__MAX_PROCESSING_MS", "120000".into()),
            (
                "HSI__TELEMETRY__LOG_FILTER",
                "info,sqlx=warn,sea_orm=warn".into(),
            ),
        ];
        match service {
            "file-watcher" => env.extend([
                ("HSI__WATCHER__ROOT", self.cameras().display().to_string()),
                ("HSI__WATCHER__STABILITY_MS", "500".into()),
                ("HSI__WATCHER__DEBOUNCE_MS", "100".into()),
                ("HSI__WATCHER__RECOVERY_INTERVAL_SECS", "5".into()),
                ("HSI__WATCHER__RECOVERY_GRACE_SECS", "20".into()),
            ]),
            "detection-worker" => env.extend([
                (
                    "HSI__DETECTOR__MODEL_PATH",
                    setup.model.display().to_string(),
                ),
                ("HSI__DETECTOR__DEVICE", "cpu".into()),
                (
                    "HSI__WORKER__THUMBNAILS_DIR",
                    self.dir.path().join("thumbnails").display().to_string(),
                ),
                ("HSI__GRPC__LISTEN", "127.0.0.1:0".into()),
            ]),
            "batch-aggregator" => env.extend([
                ("HSI__BATCHING__WINDOW_SECS", "10".into()),
                ("HSI__BATCHING__IDLE_SECS", "3".into()),
                ("HSI__BATCHING__TICK_MS", "200".into()),
                ("HSI__BATCHING__PUBLISH_LEASE_SECS", "10".into()),
                ("HSI__FAST_PATH__MIN_CONFIDENCE", "0.6".into()),
                ("HSI__RECOVERY__INTERVAL_SECS", "5".into()),
                ("HSI__RECOVERY__GRACE_SECS", "30".into()),
            ]),
            _ => env.extend([
                ("HSI__LLM__BASE_URL", llm_url.to_owned()),
                ("HSI__LLM__TIMEOUT_MS", "30000".into()),
                ("HSI__ANALYSIS__CONCURRENCY", "2".into()),
                ("HSI__ALERTS__ALLOW_PRIVATE_DESTINATIONS", "true".into()),
                ("HSI__ALERTS__WEBHOOK_RETRIES", "1".into()),
                ("HSI__ALERTS__REDELIVERY_BASE_MS", "1000".into()),
                ("HSI__ALERTS__REDELIVERY_MAX_MS", "5000".into()),
                ("HSI__ALERTS__MAX_DELIVERY_ATTEMPTS", "500".into()),
                ("HSI__ALERTS__OUTBOX_POLL_MS", "1000".into()),
                ("HSI__GRPC__LISTEN", "127.0.0.1:0".into()),
            ]),
        }
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// The service named `name`.
    pub fn service(&mut self, name: &str) -> &mut ServiceProcess {
        let index = self
            .services
            .iter()
            .position(|s| s.name == name)
            .unwrap_or_default();
        &mut self.services[index]
    }

    /// Lengths of the work streams and their dead letters: (unfinished, dead letters).
    pub fn queue_figures(&self) -> (i64, i64) {
        let Ok(mut conn) = redis::Client::open(self.redis_url()).and_then(|c| c.get_connection())
        else {
            return (-1, -1);
        };
        let (mut unfinished, mut dead) = (0, 0);
        for stream in ["files", "detections", "batches"] {
            let key = format!("{PREFIX}stream:{stream}");
            unfinished += redis::cmd("XLEN")
                .arg(&key)
                .query::<i64>(&mut conn)
                .unwrap_or(0);
            dead += redis::cmd("XLEN")
                .arg(format!("{key}:dead"))
                .query::<i64>(&mut conn)
                .unwrap_or(0);
        }
        (unfinished, dead)
    }

    /// FLUSHALL: Redis loses everything at once.
    pub fn flush_redis(&self) -> Result<(), String> {
        let mut conn = redis::Client::open(self.redis_url())
            .and_then(|c| c.get_connection())
            .map_err(|e| e.to_string())?;
        redis::cmd("FLUSHALL")
            .query::<()>(&mut conn)
            .map_err(|e| e.to_string())
    }

    /// Stops every service with SIGTERM (drain), then the rest.
    pub fn stop(&mut self) {
        for service in &mut self.services {
            service.stop(Duration::from_secs(40));
        }
    }
}
