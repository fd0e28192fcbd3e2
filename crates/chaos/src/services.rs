//! The four services as separate processes, started, SIGKILLed and restarted.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The pipeline's services, in the order a file passes through them.
pub const SERVICES: [&str; 4] = [
    "file-watcher",
    "detection-worker",
    "batch-aggregator",
    "analysis-worker",
];

/// How a service process is started.
#[derive(Debug, Clone)]
pub enum Launcher {
    /// The service binaries (`hsi-file-watcher`, ...) in a folder: a release build.
    Binaries(PathBuf),
    /// This harness's own binary as `hsi-chaos service <name>`, which runs the same
    /// service library behind the same start-up code (for the test suite, which can
    /// only name binaries of its own package).
    Harness(PathBuf),
}

impl Launcher {
    fn command(&self, service: &str) -> Command {
        match self {
            Self::Binaries(dir) => Command::new(dir.join(format!("hsi-{service}"))),
            Self::Harness(exe) => {
                let mut command = Command::new(exe);
                command.args(["service", service]);
                command
            }
        }
    }
}

/// One service process and how to start it again.
#[derive(Debug)]
pub struct ServiceProcess {
    pub name: &'static str,
    env: Vec<(String, String)>,
    log: PathBuf,
    launcher: Launcher,
    child: Option<Child>,
    /// SIGKILLs so far.
    pub kills: u32,
}

impl ServiceProcess {
    pub fn new(
        name: &'static str,
        launcher: Launcher,
        env: Vec<(String, String)>,
        logs: &Path,
    ) -> Self {
        Self {
            name,
            env,
            log: logs.join(format!("{name}.log")),
            launcher,
            child: None,
            kills: 0,
        }
    }

    /// Starts the process (its output appended to `<logs>/<name>.log`).
    pub fn start(&mut self) -> std::io::Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut command = self.launcher.command(self.name);
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        self.child = Some(command.spawn()?);
        Ok(())
    }

    /// SIGKILL: no drain, no goodbye, as a crash or an OOM kill.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            self.kills += 1;
        }
    }

    /// SIGTERM, then waits up to `limit` for the drain; SIGKILL after that.
    pub fn stop(&mut self, limit: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Whether the process is alive; an exit is reported once, with its log.
    pub fn check_alive(&mut self) -> Result<(), String> {
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        match child.try_wait() {
            Ok(Some(status)) => {
                self.child = None;
                Err(format!(
                    "{} exited by itself ({status}); see {}",
                    self.name,
                    self.log.display()
                ))
            }
            _ => Ok(()),
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
