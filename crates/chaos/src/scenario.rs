//! A scenario: files stream into the camera folders while faults are injected at set
//! points of the stream; then the harness waits for the pipeline to go quiet and reads
//! the invariants.

use crate::invariants::{self, Figures};
use crate::photos::{self, Photo, Rng};
use crate::services::SERVICES;
use crate::world::{Setup, World};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One fault, injected when the given share of the files has been dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// SIGKILL a service, restart it after a pause.
    Kill {
        service: &'static str,
        pause: Duration,
    },
    /// SIGKILL Redis and restart it from its append-only file.
    RestartRedis,
    /// FLUSHALL: every stream, batch and key gone at once.
    FlushRedis,
    /// Run a command that restarts PostgreSQL.
    RestartPostgres { command: String },
    /// SIGKILL the LLM server ...
    KillLlm,
    /// ... and bring it back.
    StartLlm,
    /// The webhook receiver stops answering ...
    WebhookDown,
    /// ... and comes back.
    WebhookUp,
}

/// A named list of faults at points of the stream (0.0..1.0).
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub faults: Vec<(f64, Fault)>,
}

/// The scenarios `scripts/chaos` runs by name.
pub fn named(name: &str, rng: &mut Rng, pg_restart: &str) -> Option<Scenario> {
    let kill = |service, rng: &mut Rng| Fault::Kill {
        service,
        pause: Duration::from_millis(500 + rng.below(2_000)),
    };
    let faults = match name {
        "baseline" => Vec::new(),
        "kill-services" => {
            let mut faults = Vec::new();
            for service in SERVICES {
                for _ in 0..3 {
                    let at = 0.05 + rng.below(850) as f64 / 1000.0;
                    faults.push((at, kill(service, rng)));
                }
            }
            faults
        }
        "redis-restart" => vec![(0.35, Fault::RestartRedis), (0.7, Fault::RestartRedis)],
        "redis-flush" => vec![(0.5, Fault::FlushRedis)],
        "postgres-restart" => vec![
            (
                0.4,
                Fault::RestartPostgres {
                    command: pg_restart.to_owned(),
                },
            ),
            (
                0.75,
                Fault::RestartPostgres {
                    command: pg_restart.to_owned(),
                },
            ),
        ],
        "llm-restart" => vec![(0.25, Fault::KillLlm), (0.6, Fault::StartLlm)],
        "webhook-down" => vec![(0.2, Fault::WebhookDown), (0.75, Fault::WebhookUp)],
        // The small version inside `scripts/test`: each service killed once, then Redis
        // loses everything.
        "small" => {
            let mut faults: Vec<(f64, Fault)> = SERVICES
                .iter()
                .enumerate()
                .map(|(n, service)| (0.15 + 0.15 * n as f64, kill(service, rng)))
                .collect();
            faults.push((0.8, Fault::FlushRedis));
            faults
        }
        _ => return None,
    };
    let mut faults = faults;
    faults.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(Scenario {
        name: name.to_owned(),
        faults,
    })
}

/// The scenarios `scripts/chaos` runs by default.
pub const ALL: [&str; 7] = [
    "baseline",
    "kill-services",
    "redis-restart",
    "redis-flush",
    "postgres-restart",
    "llm-restart",
    "webhook-down",
];

/// How a scenario streams its files.
#[derive(Debug, Clone)]
pub struct Load {
    pub files: usize,
    pub cameras: usize,
    /// One file in this many is an empty scene (0: none).
    pub empty_every: usize,
    /// Files dropped per second.
    pub per_second: f64,
    /// Longest wait for the pipeline to go quiet after the last file and fault.
    pub quiet_timeout: Duration,
    pub photos: PathBuf,
    pub seed: u64,
}

/// What a scenario found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub scenario: String,
    pub figures: Figures,
    pub faults: Vec<String>,
    /// From the last file (and fault) to quiet; `None`: it never went quiet.
    pub time_to_quiet: Option<Duration>,
    /// Services that exited by themselves (not killed by the harness).
    pub crashes: Vec<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.time_to_quiet.is_some() && self.figures.holds() && self.crashes.is_empty()
    }
}

/// Runs one scenario from a fresh world to its invariants.
pub async fn run(setup: &Setup, load: &Load, scenario: &Scenario) -> Result<Outcome, String> {
    let mut rng = Rng::new(load.seed);
    let files = photos::generate(&load.photos, load.files, load.empty_every, &mut rng)?;
    let mut world = World::start(setup, &scenario.name).await?;
    let mut crashes = Vec::new();
    let mut applied = Vec::new();
    let mut pending = scenario.faults.clone().into_iter().peekable();
    let mut restarts: Vec<(Instant, &'static str)> = Vec::new();
    let started = Instant::now();
    for (n, file) in files.iter().enumerate() {
        let progress = n as f64 / files.len().max(1) as f64;
        while let Some((_, fault)) = pending.next_if(|(at, _)| *at <= progress) {
            applied.push(inject(&mut world, &fault, &mut restarts).await?);
        }
        restart_due(&mut world, &mut restarts)?;
        watch(&mut world, &mut crashes)?;
        drop_file(&world, load, n, file)?;
        let due = started + Duration::from_secs_f64((n + 1) as f64 / load.per_second.max(0.1));
        tokio::time::sleep_until(due.into()).await;
    }
    for (_, fault) in pending {
        applied.push(inject(&mut world, &fault, &mut restarts).await?);
    }
    // Faults that are undone later (the LLM, the webhook) are undone by now; restart what
    // is still down.
    while !restarts.is_empty() {
        restart_due(&mut world, &mut restarts)?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    world.receiver.up().await.map_err(|e| e.to_string())?;
    if let Some(llm) = world.llm.as_mut() {
        llm.up().map_err(|e| e.to_string())?;
    }
    let fed = Instant::now();
    let time_to_quiet = wait_quiet(&mut world, load, &mut crashes).await;
    let quiet_at = Instant::now();
    world.stop();
    let mut figures = Figures {
        files_in: load.files as u64,
        ..Figures::default()
    };
    invariants::read(&world.db.conn, &mut figures)
        .await
        .map_err(|e| format!("reading the invariants: {e}"))?;
    invariants::deliveries(&world.db.conn, &world.receiver.received(), &mut figures)
        .await
        .map_err(|e| format!("reading the deliveries: {e}"))?;
    figures.dead_letters = world.queue_figures().1;
    tracing::info!(scenario = %scenario.name, elapsed_s = quiet_at.duration_since(fed).as_secs(), "scenario finished");
    Ok(Outcome {
        scenario: scenario.name.clone(),
        figures,
        faults: applied,
        time_to_quiet,
        crashes,
    })
}

/// Writes a file under a hidden name and renames it into place, as an upload client does.
fn drop_file(world: &World, load: &Load, n: usize, file: &Photo) -> Result<(), String> {
    let camera = world
        .cameras()
        .join(format!("Camera {}", n % load.cameras.max(1)));
    std::fs::create_dir_all(&camera).map_err(|e| e.to_string())?;
    let partial = camera.join(format!(".{}.part", file.name));
    std::fs::write(&partial, &file.bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&partial, camera.join(&file.name)).map_err(|e| e.to_string())
}

async fn inject(
    world: &mut World,
    fault: &Fault,
    restarts: &mut Vec<(Instant, &'static str)>,
) -> Result<String, String> {
    tracing::warn!(?fault, "injecting a fault");
    Ok(match fault {
        Fault::Kill { service, pause } => {
            world.service(service).kill();
            restarts.push((Instant::now() + *pause, service));
            format!("SIGKILL {service}")
        }
        Fault::RestartRedis => {
            world.redis.stop();
            tokio::time::sleep(Duration::from_millis(500)).await;
            world.redis.restart();
            "Redis killed, restarted from its AOF".to_owned()
        }
        Fault::FlushRedis => {
            world.flush_redis()?;
            "Redis FLUSHALL".to_owned()
        }
        Fault::RestartPostgres { command } => {
            let status = tokio::process::Command::new("sh")
                .args(["-c", command])
                .status()
                .await
                .map_err(|e| format!("{command}: {e}"))?;
            if !status.success() {
                return Err(format!("{command} failed: {status}"));
            }
            "PostgreSQL restarted".to_owned()
        }
        Fault::KillLlm => match world.llm.as_mut() {
            Some(llm) => {
                llm.kill();
                "LLM server killed".to_owned()
            }
            None => "LLM server killed (none running)".to_owned(),
        },
        Fault::StartLlm => match world.llm.as_mut() {
            Some(llm) => {
                llm.up().map_err(|e| e.to_string())?;
                "LLM server restarted".to_owned()
            }
            None => "LLM server restarted (none running)".to_owned(),
        },
        Fault::WebhookDown => {
            world.receiver.down();
            "webhook receiver down".to_owned()
        }
        Fault::WebhookUp => {
            world.receiver.up().await.map_err(|e| e.to_string())?;
            "webhook receiver back".to_owned()
        }
    })
}

fn restart_due(
    world: &mut World,
    restarts: &mut Vec<(Instant, &'static str)>,
) -> Result<(), String> {
    let now = Instant::now();
    let (due, later): (Vec<_>, Vec<_>) = restarts.drain(..).partition(|(at, _)| *at <= now);
    *restarts = later;
    for (_, service) in due {
        world
            .service(service)
            .start()
            .map_err(|e| format!("restarting {service}: {e}"))?;
    }
    Ok(())
}

/// Restarts a service that died by itself (as a supervisor would) and records it; one
/// that keeps dying ends the scenario.
fn watch(world: &mut World, crashes: &mut Vec<String>) -> Result<(), String> {
    for service in &mut world.services {
        if let Err(crash) = service.check_alive() {
            tracing::error!(%crash, "a service died on its own");
            crashes.push(crash);
            if crashes.len() > 5 {
                return Err(format!("services keep dying: {crashes:#?}"));
            }
            service
                .start()
                .map_err(|e| format!("restarting {}: {e}", service.name))?;
        }
    }
    Ok(())
}

/// Polls until everything fed is finished (and the work streams are empty) or the quiet
/// timeout passes.
async fn wait_quiet(world: &mut World, load: &Load, crashes: &mut Vec<String>) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < load.quiet_timeout {
        if watch(world, crashes).is_err() {
            return None;
        }
        let done = invariants::quiet(&world.db.conn, load.files as u64)
            .await
            .unwrap_or(false);
        if done && world.queue_figures().0 == 0 {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    None
}
