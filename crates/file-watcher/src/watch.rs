//! Turning file-system events and scans into [`Signal`]s about candidate paths.

use crate::names::is_ignored_path;
use crate::settings::{WatchMode, WatcherSettings};
use notify::event::{AccessKind, AccessMode, CreateKind, MetadataKind, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc::UnboundedSender;
use walkdir::WalkDir;

/// Something that happened to a path under the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Closed after writing, or renamed into place: complete once events stop.
    Complete(PathBuf),
    /// Created; a folder or a file with no sign yet of being finished.
    Created(PathBuf),
    /// Written to; complete only once its size has settled.
    Changed(PathBuf),
    /// A folder appeared (created or moved in).
    Folder(PathBuf),
    /// Found by a scan; `settled` when untouched for longer than the stability window.
    Found { path: PathBuf, settled: bool },
    /// A camera folder found by a scan, to register.
    Camera(PathBuf),
    /// Deleted or moved away.
    Removed(PathBuf),
    /// Events were lost (the kernel queue overflowed): scan the whole root again.
    Rescan,
}

impl Signal {
    fn path(&self) -> Option<&Path> {
        match self {
            Self::Complete(path)
            | Self::Created(path)
            | Self::Changed(path)
            | Self::Folder(path)
            | Self::Camera(path)
            | Self::Removed(path)
            | Self::Found { path, .. } => Some(path),
            Self::Rescan => None,
        }
    }
}

/// What one notify event means for the paths it names.
pub fn signals_for(event: &Event) -> Vec<Signal> {
    let each = |make: fn(PathBuf) -> Signal| event.paths.iter().cloned().map(make).collect();
    let mut signals: Vec<Signal> = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => each(Signal::Complete),
        EventKind::Modify(ModifyKind::Name(RenameMode::To)) => each(Signal::Complete),
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => match event.paths.as_slice() {
            [from, to] => vec![Signal::Removed(from.clone()), Signal::Complete(to.clone())],
            _ => each(Signal::Changed),
        },
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => each(Signal::Removed),
        EventKind::Create(CreateKind::Folder) => each(Signal::Folder),
        EventKind::Create(_) => each(Signal::Created),
        // Poll mode reports new writes as a later modification time.
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)) => each(Signal::Changed),
        // A chmod or chown is not a new upload.
        EventKind::Modify(ModifyKind::Metadata(_)) => Vec::new(),
        EventKind::Modify(_) => each(Signal::Changed),
        EventKind::Remove(_) => each(Signal::Removed),
        // Our own reads (and ffprobe's) open and close files too.
        EventKind::Access(_) | EventKind::Any | EventKind::Other => Vec::new(),
    };
    if event.need_rescan() {
        signals.push(Signal::Rescan);
    }
    signals
}

/// Starts watching `settings.root`; signals go to `signals` until the watcher is dropped.
pub fn start(
    settings: &WatcherSettings,
    signals: UnboundedSender<Signal>,
) -> notify::Result<Box<dyn Watcher + Send>> {
    let root = settings.root.clone();
    let handler = move |result: notify::Result<Event>| match result {
        Ok(event) => forward(&root, signals_for(&event), &signals),
        Err(err) => {
            tracing::warn!(error = %err, paths = ?err.paths, "file watcher error");
            if matches!(err.kind, notify::ErrorKind::MaxFilesWatch) {
                tracing::error!("out of inotify watches: raise fs.inotify.max_user_watches or use watcher.mode = poll");
            }
        }
    };
    let mut watcher: Box<dyn Watcher + Send> = match settings.mode {
        WatchMode::Native => Box::new(notify::recommended_watcher(handler)?),
        WatchMode::Poll => {
            let config = notify::Config::default()
                .with_poll_interval(settings.poll_interval())
                .with_compare_contents(false);
            Box::new(notify::PollWatcher::new(handler, config)?)
        }
    };
    watcher.watch(&settings.root, RecursiveMode::Recursive)?;
    Ok(watcher)
}

/// Sends the signals whose paths are not hidden or temporary uploads.
fn forward(root: &Path, signals: Vec<Signal>, sender: &UnboundedSender<Signal>) {
    for signal in signals {
        if let Some(path) = signal.path() {
            if is_ignored_path(root, path) && !matches!(signal, Signal::Removed(_)) {
                tracing::debug!(path = %path.to_string_lossy(), "ignoring a hidden or temporary name");
                continue;
            }
        }
        // A closed channel means the service is stopping; nothing is lost that a
        // catch-up will not find.
        let _ = sender.send(signal);
    }
}

/// Walks `folder` (the root or a folder in it) and reports camera folders and files,
/// skipping hidden and temporary names. Blocking: run it on a blocking thread.
pub fn scan(root: &Path, folder: &Path, stability: Duration, sender: &UnboundedSender<Signal>) {
    let settled_before = SystemTime::now().checked_sub(stability);
    let walk = WalkDir::new(folder)
        .follow_links(false)
        .into_iter()
        .filter_entry(|entry| !is_ignored_path(root, entry.path()));
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read part of the camera folders");
                continue;
            }
        };
        let path = entry.path();
        let signal = if entry.file_type().is_dir() {
            // The scanned folder itself was announced by whoever asked for the scan.
            if entry.depth() == 0 || path.parent() != Some(root) {
                continue;
            }
            Signal::Camera(path.to_path_buf())
        } else {
            let modified = entry.metadata().ok().and_then(|m| m.modified().ok());
            let settled =
                matches!((modified, settled_before), (Some(m), Some(before)) if m <= before);
            Signal::Found {
                path: path.to_path_buf(),
                settled,
            }
        };
        if sender.send(signal).is_err() {
            return; // stopping
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{DataChange, RemoveKind};

    fn event(kind: EventKind, paths: &[&str]) -> Event {
        paths.iter().fold(Event::new(kind), |event, path| {
            event.add_path(PathBuf::from(path))
        })
    }

    fn p(path: &str) -> PathBuf {
        PathBuf::from(path)
    }

    #[test]
    fn close_after_write_and_renames_into_place_mean_complete() {
        let close = event(
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            &["/r/c/a.jpg"],
        );
        assert_eq!(signals_for(&close), [Signal::Complete(p("/r/c/a.jpg"))]);
        let to = event(
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            &["/r/c/a.jpg"],
        );
        assert_eq!(signals_for(&to), [Signal::Complete(p("/r/c/a.jpg"))]);
        let both = event(
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            &["/r/c/a.jpg.part", "/r/c/a.jpg"],
        );
        assert_eq!(
            signals_for(&both),
            [
                Signal::Removed(p("/r/c/a.jpg.part")),
                Signal::Complete(p("/r/c/a.jpg"))
            ]
        );
    }

    #[test]
    fn writes_without_a_close_wait_for_stability() {
        let write = event(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &["/r/c/a.jpg"],
        );
        assert_eq!(signals_for(&write), [Signal::Changed(p("/r/c/a.jpg"))]);
        let polled = event(
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)),
            &["/r/c/a.jpg"],
        );
        assert_eq!(signals_for(&polled), [Signal::Changed(p("/r/c/a.jpg"))]);
        let created = event(EventKind::Create(CreateKind::Any), &["/r/c/a.jpg"]);
        assert_eq!(signals_for(&created), [Signal::Created(p("/r/c/a.jpg"))]);
    }

    #[test]
    fn reads_and_attribute_changes_are_not_uploads() {
        for kind in [
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
        ] {
            assert!(signals_for(&event(kind, &["/r/c/a.jpg"])).is_empty());
        }
    }

    #[test]
    fn folders_removals_and_overflows() {
        let folder = event(EventKind::Create(CreateKind::Folder), &["/r/cam"]);
        assert_eq!(signals_for(&folder), [Signal::Folder(p("/r/cam"))]);
        let removed = event(EventKind::Remove(RemoveKind::File), &["/r/c/a.jpg"]);
        assert_eq!(signals_for(&removed), [Signal::Removed(p("/r/c/a.jpg"))]);
        let overflow = Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        assert_eq!(signals_for(&overflow), [Signal::Rescan]);
    }

    #[test]
    fn hidden_and_temporary_paths_are_not_forwarded() {
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        let root = Path::new("/r");
        forward(
            root,
            vec![
                Signal::Complete(p("/r/c/x.jpg.part")),
                Signal::Changed(p("/r/c/.hidden.jpg")),
                Signal::Complete(p("/r/c/x.jpg~")),
                Signal::Complete(p("/r/c/x.jpg")),
            ],
            &sender,
        );
        assert_eq!(
            receiver.try_recv().ok(),
            Some(Signal::Complete(p("/r/c/x.jpg")))
        );
        assert!(receiver.try_recv().is_err());
    }
}
