//! When a path is ready to process: debouncing its events, waiting for its size to
//! settle, never handing out a path that is already being processed, and not redoing
//! a file that has not changed since it was last done.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// How long a processed file's fingerprint is remembered.
const REMEMBER_FOR: Duration = Duration::from_secs(600);

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub inode: u64,
}

impl Fingerprint {
    pub fn of(metadata: &Metadata) -> Self {
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            inode: metadata.ino(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    due: Instant,
    /// Set while waiting for the size to settle: the file as last seen.
    expect: Option<Fingerprint>,
}

/// The paths waiting, ready and in flight.
#[derive(Debug)]
pub struct Schedule {
    debounce: Duration,
    stability: Duration,
    concurrency: usize,
    pending: HashMap<PathBuf, Pending>,
    ready: VecDeque<PathBuf>,
    queued: HashSet<PathBuf>,
    in_flight: HashSet<PathBuf>,
    /// In flight and fell due again meanwhile: look again once the run has finished.
    rerun: HashSet<PathBuf>,
    recent: HashMap<PathBuf, (Fingerprint, Instant)>,
    last_prune: Instant,
}

impl Schedule {
    pub fn new(debounce: Duration, stability: Duration, concurrency: usize) -> Self {
        Self {
            debounce,
            stability,
            concurrency: concurrency.max(1),
            pending: HashMap::new(),
            ready: VecDeque::new(),
            queued: HashSet::new(),
            in_flight: HashSet::new(),
            rerun: HashSet::new(),
            recent: HashMap::new(),
            last_prune: Instant::now(),
        }
    }

    /// The file was closed after writing or renamed into place: ready after the debounce.
    pub fn complete(&mut self, path: PathBuf, now: Instant) {
        let due = now + self.debounce;
        self.pending.insert(path, Pending { due, expect: None });
    }

    /// The file changed (or is new) with no sign of being finished: ready once it has
    /// stayed as `seen` for the stability window. `None` means it is gone.
    pub fn changed(&mut self, path: PathBuf, seen: Option<Fingerprint>, now: Instant) {
        match seen {
            Some(seen) => {
                let due = now + self.stability;
                self.pending.insert(
                    path,
                    Pending {
                        due,
                        expect: Some(seen),
                    },
                );
            }
            None => {
                self.pending.remove(&path);
            }
        }
    }

    /// A scan found the file; events already known about it take precedence.
    pub fn found(&mut self, path: PathBuf, seen: Option<Fingerprint>, settled: bool, now: Instant) {
        if self.is_known(&path) {
            return;
        }
        if settled {
            self.make_ready(path);
        } else {
            self.changed(path, seen, now);
        }
    }

    pub fn removed(&mut self, path: &Path) {
        self.pending.remove(path);
    }

    fn is_known(&self, path: &Path) -> bool {
        self.pending.contains_key(path)
            || self.queued.contains(path)
            || self.in_flight.contains(path)
    }

    /// When the next pending path falls due.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|pending| pending.due).min()
    }

    /// Moves the paths that fell due to the ready queue, or back to waiting when their
    /// size or modification time moved since last seen.
    pub fn promote(&mut self, now: Instant, stat: impl Fn(&Path) -> Option<Fingerprint>) {
        let due: Vec<PathBuf> = self
            .pending
            .iter()
            .filter(|(_, pending)| pending.due <= now)
            .map(|(path, _)| path.clone())
            .collect();
        for path in due {
            let Some(pending) = self.pending.remove(&path) else {
                continue;
            };
            match pending.expect {
                None => self.make_ready(path),
                Some(expected) => match stat(&path) {
                    Some(seen) if seen == expected => self.make_ready(path),
                    seen => self.changed(path, seen, now),
                },
            }
        }
        self.prune(now);
    }

    fn make_ready(&mut self, path: PathBuf) {
        if self.in_flight.contains(&path) {
            self.rerun.insert(path);
        } else if self.queued.insert(path.clone()) {
            self.ready.push_back(path);
        }
    }

    /// The next path to process, if a slot is free; it counts as in flight until
    /// [`Schedule::finished`]. Files unchanged since they were last done are skipped.
    pub fn next_ready(
        &mut self,
        stat: impl Fn(&Path) -> Option<Fingerprint>,
    ) -> Option<(PathBuf, Option<Fingerprint>)> {
        while self.in_flight.len() < self.concurrency {
            let path = self.ready.pop_front()?;
            self.queued.remove(&path);
            let seen = stat(&path);
            if seen.is_some() && self.recent.get(&path).map(|(done, _)| *done) == seen {
                tracing::debug!(path = %path.to_string_lossy(), "unchanged since it was processed, skipping");
                continue;
            }
            self.in_flight.insert(path.clone());
            return Some((path, seen));
        }
        None
    }

    /// The path is no longer in flight; `remember` keeps its fingerprint so that later
    /// events for the same, unchanged file do not process it again.
    pub fn finished(
        &mut self,
        path: PathBuf,
        seen: Option<Fingerprint>,
        remember: bool,
        now: Instant,
    ) {
        self.in_flight.remove(&path);
        match seen {
            Some(seen) if remember => {
                self.recent.insert(path.clone(), (seen, now));
            }
            _ => {
                self.recent.remove(&path);
            }
        }
        if self.rerun.remove(&path) {
            self.make_ready(path);
        }
    }

    fn prune(&mut self, now: Instant) {
        if now.duration_since(self.last_prune) < REMEMBER_FOR / 10 {
            return;
        }
        self.last_prune = now;
        self.recent
            .retain(|_, (_, done_at)| now.duration_since(*done_at) < REMEMBER_FOR);
    }

    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBOUNCE: Duration = Duration::from_millis(200);
    const STABILITY: Duration = Duration::from_secs(2);

    fn print(len: u64) -> Option<Fingerprint> {
        Some(Fingerprint {
            len,
            modified: None,
            inode: 7,
        })
    }

    fn path(name: &str) -> PathBuf {
        PathBuf::from(format!("/r/c/{name}"))
    }

    #[test]
    fn a_closed_file_is_ready_after_the_debounce_and_handed_out_once() {
        let mut schedule = Schedule::new(DEBOUNCE, STABILITY, 4);
        let start = Instant::now();
        schedule.changed(path("a"), print(1), start);
        schedule.complete(path("a"), start);
        schedule.complete(path("a"), start + Duration::from_millis(50));
        assert_eq!(
            schedule.next_due(),
            Some(start + Duration::from_millis(250))
        );
        schedule.promote(start + Duration::from_millis(100), |_| print(1));
        assert_eq!(schedule.next_ready(|_| print(1)), None, "still debouncing");
        schedule.promote(start + Duration::from_millis(250), |_| print(1));
        assert_eq!(
            schedule.next_ready(|_| print(1)),
            Some((path("a"), print(1)))
        );
        assert_eq!(schedule.next_ready(|_| print(1)), None);
    }

    #[test]
    fn a_growing_file_waits_until_its_size_settles() {
        let mut schedule = Schedule::new(DEBOUNCE, STABILITY, 4);
        let start = Instant::now();
        schedule.changed(path("a"), print(10), start);
        schedule.promote(start + STABILITY, |_| print(20));
        assert_eq!(schedule.next_ready(|_| print(20)), None, "grew meanwhile");
        schedule.promote(start + STABILITY * 2, |_| print(20));
        assert_eq!(
            schedule.next_ready(|_| print(20)),
            Some((path("a"), print(20)))
        );
    }

    #[test]
    fn a_vanished_file_is_forgotten() {
        let mut schedule = Schedule::new(DEBOUNCE, STABILITY, 4);
        let start = Instant::now();
        schedule.changed(path("a"), print(10), start);
        schedule.promote(start + STABILITY, |_| None);
        assert_eq!(schedule.next_due(), None);
        schedule.changed(path("b"), print(10), start);
        schedule.removed(&path("b"));
        assert_eq!(schedule.next_due(), None);
    }

    #[test]
    fn a_path_in_flight_is_not_handed_out_again_until_finished() {
        let mut schedule = Schedule::new(DEBOUNCE, STABILITY, 4);
        let start = Instant::now();
        schedule.found(path("a"), print(1), true, start);
        assert!(schedule.next_ready(|_| print(1)).is_some());
        schedule.complete(path("a"), start);
        schedule.promote(start + DEBOUNCE, |_| print(2));
        assert_eq!(schedule.next_ready(|_| print(2)), None, "in flight");
        schedule.finished(path("a"), print(1), true, start + DEBOUNCE);
        assert_eq!(
            schedule.next_ready(|_| print(2)),
            Some((path("a"), print(2))),
            "changed while in flight, so done again"
        );
    }

    #[test]
    fn an_unchanged_file_is_not_processed_twice() {
        let mut schedule = Schedule::new(DEBOUNCE, STABILITY, 4);
        let start = Instant::now();
        schedule.found(path("a"), print(1), true, start);
        let (taken, seen) = schedule.next_ready(|_| print(1)).expect("ready");
        schedule.finished(taken, seen, true, start);
        schedule.complete(path("a"), start);
        schedule.promote(start + DEBOUNCE, |_| print(1));
        assert_eq!(schedule.next_ready(|_| print(1)), None);
    }

    #[test]
    fn scans_do_not_override_events_and_concurrency_is_bounded() {
        let mut schedule = Schedule::new(DEBOUNCE, STABILITY, 2);
        let start = Instant::now();
        schedule.complete(path("a"), start);
        schedule.found(path("a"), print(1), false, start);
        assert_eq!(schedule.next_due(), Some(start + DEBOUNCE));
        for name in ["b", "c", "d"] {
            schedule.found(path(name), print(1), true, start);
        }
        assert!(schedule.next_ready(|_| print(1)).is_some());
        assert!(schedule.next_ready(|_| print(1)).is_some());
        assert_eq!(schedule.next_ready(|_| print(1)), None, "two at once");
        assert_eq!(schedule.in_flight(), 2);
    }
}
