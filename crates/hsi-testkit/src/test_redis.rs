//! A Redis key prefix per test, and private Redis servers for outage tests.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// URL of the shared Redis (`HSI_TEST_REDIS_URL`, default the bootstrapped one).
pub fn redis_url() -> String {
    std::env::var("HSI_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned())
}

/// A key prefix no other test uses; its keys are deleted when the value is dropped.
#[derive(Debug)]
pub struct TestRedis {
    pub url: String,
    pub prefix: String,
}

impl TestRedis {
    pub fn new() -> Self {
        crate::init_logging();
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            url: redis_url(),
            prefix: format!("hsi-test:{}:", &id[..12]),
        }
    }

    /// Settings pointing at this prefix.
    pub fn settings(&self) -> hsi_core::settings::RedisSettings {
        hsi_core::settings::RedisSettings {
            url: hsi_core::settings::SecretUrl::new(self.url.clone()),
            key_prefix: self.prefix.clone(),
            pool_size: 8,
        }
    }

    /// Every key under this test's prefix.
    pub fn keys(&self) -> Vec<String> {
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return Vec::new();
        };
        let Ok(mut conn) = client.get_connection() else {
            return Vec::new();
        };
        let pattern = format!("{}*", self.prefix);
        let keys: redis::RedisResult<Vec<String>> =
            redis::cmd("KEYS").arg(pattern).query(&mut conn);
        keys.unwrap_or_default()
    }
}

impl Default for TestRedis {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let keys = self.keys();
        if keys.is_empty() {
            return;
        }
        if let Ok(mut conn) =
            redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection())
        {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut conn);
        }
    }
}

/// A redis-server of this test's own, on a free port, that the test may stop and start.
#[derive(Debug)]
pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
    /// Where an append-only file keeps the data across restarts; `None`: no persistence.
    aof_dir: Option<std::path::PathBuf>,
}

impl RedisServer {
    /// Starts a server without persistence on a free port.
    pub fn start() -> Self {
        Self::start_in(None)
    }

    /// Starts a server that keeps its data in an append-only file under `dir` (fsync
    /// every write), so a restart, even after a kill, finds what was acknowledged.
    pub fn start_persistent(dir: &std::path::Path) -> Self {
        Self::start_in(Some(dir.to_path_buf()))
    }

    fn start_in(aof_dir: Option<std::path::PathBuf>) -> Self {
        crate::init_logging();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut server = Self {
            port,
            child: None,
            aof_dir,
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port: empty, or with its append-only file.
    pub fn restart(&mut self) {
        self.stop();
        let persistence: Vec<String> = match &self.aof_dir {
            Some(dir) => vec![
                "--appendonly".into(),
                "yes".into(),
                "--appendfsync".into(),
                "always".into(),
                "--dir".into(),
                dir.display().to_string(),
            ],
            None => vec!["--appendonly".into(), "no".into()],
        };
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(&persistence)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (scripts/bootstrap installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            // PING answers LOADING while an append-only file is being read back.
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not start on port {}", self.port);
    }
}

impl RedisServer {
    fn ping(&self) -> bool {
        redis::Client::open(self.url())
            .and_then(|client| client.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut conn| redis::cmd("PING").query::<String>(&mut conn))
            .is_ok_and(|pong| pong == "PONG")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
