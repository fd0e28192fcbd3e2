//! The first-alert latency benchmark: how long from a photo of a person landing in a
//! camera folder to the first alert a webhook receiver gets, and to the judged revision
//! of that alert, through the four services as separate processes with the bundled LLM.
//!
//! Each photo goes to a camera of its own (so the per-camera fast-path cooldown never
//! holds one back), renamed into place as an upload client does, one at a time with a
//! pause between them: this measures latency, not throughput. The alert rule fires on
//! the fast path (`fire_on_fast_path`), so the first alert is the provisional one and
//! the second its revision after the LLM's judgement.

use crate::photos::{self, Rng};
use crate::world::{Setup, World};
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    pub photos: usize,
    /// Pause between two photos.
    pub interval: Duration,
    /// Longest wait for the last alerts after the last photo.
    pub settle: Duration,
    /// Where the sample photos are.
    pub samples: PathBuf,
    /// The fast path's confidence floor (`fast_path.min_confidence`).
    pub fast_path_confidence: f32,
}

/// One photo's timings, from its rename into the folder.
#[derive(Debug, Clone, Default)]
pub struct Timing {
    pub first_alert: Option<Duration>,
    pub judged: Option<Duration>,
    pub first_stage: Option<String>,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Report {
    pub timings: Vec<Timing>,
    pub photos: usize,
}

impl Report {
    fn quantiles(values: &mut [Duration]) -> Option<(Duration, Duration, Duration)> {
        if values.is_empty() {
            return None;
        }
        values.sort();
        let at =
            |q: f64| values[((values.len() as f64 * q).ceil() as usize).clamp(1, values.len()) - 1];
        Some((at(0.5), at(0.95), values[values.len() - 1]))
    }

    /// The table: p50, p95 and max to the first alert and to the judged revision.
    pub fn table(&self) -> String {
        let ms = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1000.0);
        let mut out = String::new();
        out.push_str("| photo -> | alerts | p50 ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |\n");
        let mut firsts: Vec<Duration> = self.timings.iter().filter_map(|t| t.first_alert).collect();
        let mut judged: Vec<Duration> = self.timings.iter().filter_map(|t| t.judged).collect();
        for (label, values) in [
            ("first alert delivered", &mut firsts),
            ("judged revision delivered", &mut judged),
        ] {
            let count = values.len();
            match Self::quantiles(values) {
                Some((p50, p95, max)) => out.push_str(&format!(
                    "| {label} | {count}/{} | {} | {} | {} |\n",
                    self.photos,
                    ms(p50),
                    ms(p95),
                    ms(max)
                )),
                None => out.push_str(&format!("| {label} | 0/{} | - | - | - |\n", self.photos)),
            }
        }
        let provisional = self
            .timings
            .iter()
            .filter(|t| t.first_stage.as_deref() == Some("provisional"))
            .count();
        out.push_str(&format!(
            "\n{provisional} of {} first alerts came from the fast path (provisional); goal: p95 to the first alert <= 1000 ms: {}\n",
            self.photos,
            match Self::quantiles(&mut firsts.clone()) {
                Some((_, p95, _)) if p95 <= Duration::from_secs(1) && firsts.len() == self.photos => "met",
                _ => "missed",
            }
        ));
        out
    }
}

/// Runs the benchmark in a world of its own.
pub async fn run(setup: &Setup, plan: &Plan) -> Result<Report, String> {
    let confidence = plan.fast_path_confidence.to_string();
    let mut world = World::start_with(
        setup,
        "first-alert",
        &[
            (
                "batch-aggregator",
                "HSI__FAST_PATH__MIN_CONFIDENCE",
                &confidence,
            ),
            // The watcher's product defaults otherwise: a file renamed into place is
            // complete once its events stop for `debounce_ms`.
            ("file-watcher", "HSI__WATCHER__DEBOUNCE_MS", "200"),
            ("file-watcher", "HSI__WATCHER__STABILITY_MS", "2000"),
        ],
    )
    .await?;
    world
        .db
        .conn
        .execute_unprepared("UPDATE alert_rules SET fire_on_fast_path = true")
        .await
        .map_err(|e| e.to_string())?;
    let mut rng = Rng::new(0xa1e7);
    let warmup = 2;
    let files = photos::people(&plan.samples, plan.photos + warmup, &mut rng)?;
    // Every folder exists (and is watched) before the first photo lands.
    let folders: Vec<PathBuf> = (0..files.len())
        .map(|n| world.cameras().join(format!("Latency {n:03}")))
        .collect();
    for folder in &folders {
        std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;

    let mut landed: Vec<(PathBuf, Instant)> = Vec::new();
    for (n, (file, folder)) in files.iter().zip(&folders).enumerate() {
        let partial = folder.join(format!(".{}.part", file.name));
        std::fs::write(&partial, &file.bytes).map_err(|e| e.to_string())?;
        let at = Instant::now();
        std::fs::rename(&partial, folder.join(&file.name)).map_err(|e| e.to_string())?;
        if n >= warmup {
            landed.push((folder.clone(), at));
        }
        // The warm-up photos load the model and open the connections.
        let pause = if n < warmup {
            Duration::from_secs(10)
        } else {
            plan.interval
        };
        tokio::time::sleep(pause).await;
        for service in &mut world.services {
            service.check_alive()?;
        }
    }
    let deadline = Instant::now() + plan.settle;
    loop {
        let report = measure(&world, &landed).await?;
        let done = report.timings.iter().all(|t| t.judged.is_some());
        if done || Instant::now() > deadline {
            world.stop();
            return Ok(report);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The timings so far: the cameras' ids by folder, then the receiver's bodies by camera.
async fn measure(world: &World, landed: &[(PathBuf, Instant)]) -> Result<Report, String> {
    let rows = world
        .db
        .conn
        .query_all(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id, folder_path FROM cameras",
        ))
        .await
        .map_err(|e| e.to_string())?;
    let mut camera_of: HashMap<PathBuf, String> = HashMap::new();
    for row in rows {
        let id: String = row.try_get("", "id").map_err(|e| e.to_string())?;
        let folder: String = row.try_get("", "folder_path").map_err(|e| e.to_string())?;
        camera_of.insert(PathBuf::from(folder), id);
    }
    let bodies = world.receiver.bodies();
    let timings = landed
        .iter()
        .map(|(folder, at)| {
            let Some(camera) = camera_of
                .iter()
                .find(|(path, _)| path.ends_with(folder.file_name().unwrap_or_default()))
                .map(|(_, id)| id)
            else {
                return Timing::default();
            };
            let mine: Vec<_> = bodies
                .iter()
                .filter(|(_, body)| body["camera_id"].as_str() == Some(camera.as_str()))
                .collect();
            let first = mine.iter().min_by_key(|(when, _)| *when);
            let judged = mine
                .iter()
                .filter(|(_, body)| body["stage"] == "final")
                .min_by_key(|(when, _)| *when);
            Timing {
                first_alert: first.map(|(when, _)| when.saturating_duration_since(*at)),
                judged: judged.map(|(when, _)| when.saturating_duration_since(*at)),
                first_stage: first.and_then(|(_, body)| body["stage"].as_str().map(str::to_owned)),
            }
        })
        .collect();
    Ok(Report {
        timings,
        photos: landed.len(),
    })
}
