//! The loop that turns signals into processed files: it feeds the [`Schedule`], starts
//! the files that are ready, registers camera folders and runs scans.

use crate::cameras;
use crate::names;
use crate::pipeline::{Outcome, Pipeline};
use crate::refusal::Refusal;
use crate::schedule::{Fingerprint, Schedule};
use crate::watch::{self, Signal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A file whose processing ended.
#[derive(Debug)]
struct Done {
    path: PathBuf,
    seen: Option<Fingerprint>,
    remember: bool,
}

/// Reports a file's end even when its task panics, so the path never stays in flight.
struct DoneGuard {
    done: Option<Done>,
    sender: UnboundedSender<Done>,
}

impl Drop for DoneGuard {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = self.sender.send(done);
        }
    }
}

/// Owns the schedule and the tasks it starts.
#[derive(Debug)]
pub struct Scheduler {
    pipeline: Arc<Pipeline>,
    schedule: Schedule,
    /// Where scans send what they find (the same channel the watcher feeds).
    signals: UnboundedSender<Signal>,
    tasks: TaskTracker,
}

fn stat(path: &Path) -> Option<Fingerprint> {
    std::fs::metadata(path)
        .ok()
        .map(|metadata| Fingerprint::of(&metadata))
}

impl Scheduler {
    pub fn new(pipeline: Arc<Pipeline>, signals: UnboundedSender<Signal>) -> Self {
        let settings = &pipeline.settings;
        let schedule = Schedule::new(
            settings.debounce(),
            settings.stability(),
            settings.concurrency,
        );
        Self {
            pipeline,
            schedule,
            signals,
            tasks: TaskTracker::new(),
        }
    }

    /// Runs until `shutdown`; returns the tracker of the files still in flight, which
    /// the caller waits for once it has stopped watching.
    pub async fn run(
        mut self,
        mut signals: UnboundedReceiver<Signal>,
        shutdown: CancellationToken,
    ) -> TaskTracker {
        let (done_sender, mut done) = unbounded_channel::<Done>();
        loop {
            self.start_ready(&done_sender);
            let next_due = self.schedule.next_due();
            tokio::select! {
                () = shutdown.cancelled() => break,
                signal = signals.recv() => match signal {
                    Some(signal) => self.on_signal(signal),
                    None => break,
                },
                Some(finished) = done.recv() => {
                    self.schedule.finished(finished.path, finished.seen, finished.remember, Instant::now());
                }
                () = sleep_until(next_due) => self.schedule.promote(Instant::now(), stat),
            }
        }
        self.tasks.close();
        self.tasks
    }

    fn on_signal(&mut self, signal: Signal) {
        let now = Instant::now();
        match signal {
            Signal::Complete(path) | Signal::Created(path) if is_dir(&path) => self.on_folder(path),
            Signal::Complete(path) => self.schedule.complete(path, now),
            Signal::Created(path) | Signal::Changed(path) => {
                let seen = stat(&path);
                self.schedule.changed(path, seen, now);
            }
            Signal::Folder(path) => self.on_folder(path),
            Signal::Found { path, settled } => {
                let seen = stat(&path);
                self.schedule.found(path, seen, settled, now);
            }
            Signal::Camera(path) => self.register(path),
            Signal::Removed(path) => self.schedule.removed(&path),
            Signal::Rescan => self.scan(self.pipeline.root.clone()),
        }
    }

    /// A new folder: its camera is registered at once, and what it already holds is
    /// scanned, because files written before the watch on it was in place send no event.
    fn on_folder(&mut self, path: PathBuf) {
        if path.parent() == Some(self.pipeline.root.as_path()) {
            self.register(path.clone());
        }
        self.scan(path);
    }

    fn scan(&self, folder: PathBuf) {
        let root = self.pipeline.root.clone();
        let stability = self.pipeline.settings.stability();
        let sender = self.signals.clone();
        tokio::task::spawn_blocking(move || watch::scan(&root, &folder, stability, &sender));
    }

    fn register(&self, folder: PathBuf) {
        let pipeline = self.pipeline.clone();
        self.tasks
            .spawn(async move { register_folder(&pipeline, &folder).await });
    }

    fn start_ready(&mut self, done: &UnboundedSender<Done>) {
        while let Some((path, seen)) = self.schedule.next_ready(stat) {
            let pipeline = self.pipeline.clone();
            let mut guard = DoneGuard {
                done: Some(Done {
                    path: path.clone(),
                    seen,
                    remember: false,
                }),
                sender: done.clone(),
            };
            self.tasks.spawn(async move {
                let outcome = pipeline.process(&path).await;
                let remember = !matches!(
                    outcome,
                    Outcome::Abandoned | Outcome::Refused(Refusal::Vanished)
                );
                if let Some(done) = guard.done.as_mut() {
                    done.remember = remember;
                }
            });
        }
    }
}

/// Registers the camera of a folder directly under the root. One attempt: if the
/// database is down, the camera's first file registers it.
async fn register_folder(pipeline: &Pipeline, folder: &Path) {
    let shown = folder.to_string_lossy();
    let camera = match names::camera_folder(&pipeline.root, folder) {
        Ok(camera) => camera,
        Err(refusal) => {
            tracing::warn!(path = %shown, camera = "", reason = refusal.reason(), detail = %refusal, "camera folder refused");
            return;
        }
    };
    match cameras::register_camera(&pipeline.db, &camera).await {
        Ok(true) => tracing::info!(path = %shown, camera = %camera.id, "camera registered"),
        Ok(false) => {
            tracing::debug!(path = %shown, camera = %camera.id, "camera already registered")
        }
        Err(err) => {
            tracing::warn!(path = %shown, camera = %camera.id, error = %err, "cannot register the camera yet")
        }
    }
}

fn is_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.is_dir())
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
