//! One complete file, from validation to the files stream: skip a version the ledger
//! already knows, check it, register its camera, record it in the ledger (accepted,
//! duplicate or refused, with the reason), publish.
//!
//! The ledger row is written before the message is published, and marked enqueued after:
//! a crash in between leaves an accepted, never-enqueued row that the recovery sweep
//! publishes, so a file is never lost between the folder and the stream.

use crate::cameras;
use crate::ledger::{self, AcceptedFile, Admission, FileVersion, NewFile};
use crate::names::{self, CameraFolder};
use crate::refusal::Refusal;
use crate::settings::WatcherSettings;
use crate::validate::{check_file, CheckedFile};
use hsi_core::retry::{retry, Backoff, Retried};
use hsi_proto::v1::{FileMessage, MediaKind, MessageMeta};
use hsi_queue::{Producer, QueueError};
use sea_orm::{DatabaseConnection, DbErr};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How processing a file ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Duplicate,
    Refused(Refusal),
    /// This version of the file is in the ledger already: nothing to do.
    Known,
    /// Shutdown began (or PostgreSQL failed for good) before it was decided; the next
    /// scan, or the recovery sweep for an accepted file, picks it up.
    Abandoned,
}

/// A file that passed validation.
#[derive(Debug)]
struct Candidate {
    camera: CameraFolder,
    kind: MediaKind,
    extension: String,
    checked: CheckedFile,
}

/// What every file's processing shares.
#[derive(Debug)]
pub struct Pipeline {
    pub settings: WatcherSettings,
    pub root: PathBuf,
    pub canonical_root: PathBuf,
    pub db: DatabaseConnection,
    pub producer: Producer<FileMessage>,
    pub shutdown: CancellationToken,
}

impl Pipeline {
    /// Decides about the file at `path`, records the decision and enqueues it if
    /// accepted, logging and counting the outcome.
    pub async fn process(&self, path: &Path) -> Outcome {
        let shown = path.to_string_lossy();
        let camera_id = names::camera_of_file(&self.root, path)
            .map(|camera| camera.id)
            .ok();
        let Ok(metadata) = std::fs::metadata(path) else {
            tracing::debug!(path = %shown, "file vanished before it was checked");
            return Outcome::Refused(Refusal::Vanished);
        };
        let version = FileVersion::of(path, &metadata);
        let known = self
            .db_retry("looking the file up in the ledger", &shown, || {
                ledger::known_version(&self.db, &version)
            })
            .await;
        match known {
            Some(Some(state)) => {
                tracing::debug!(path = %shown, %state, "file already in the ledger, skipped");
                return Outcome::Known;
            }
            Some(None) => {}
            None => return self.abandon(&shown, camera_id.as_deref()),
        }
        let started = Instant::now();
        let validated = self.validate(path).await;
        metrics::histogram!("hsi_file_validation_seconds").record(started.elapsed().as_secs_f64());
        let outcome = match validated {
            Ok(candidate) => self.enqueue(&version, candidate).await,
            Err(refusal) => Outcome::Refused(refusal),
        };
        if let Outcome::Refused(refusal) = &outcome {
            self.refuse(&version, camera_id.as_deref(), refusal).await;
        }
        outcome
    }

    async fn validate(&self, path: &Path) -> Result<Candidate, Refusal> {
        let camera = names::camera_of_file(&self.root, path)?;
        let (kind, extension) = names::media_kind(path, &self.settings)?;
        let checked = {
            let path = path.to_path_buf();
            let canonical_root = self.canonical_root.clone();
            let settings = self.settings.clone();
            tokio::task::spawn_blocking(move || check_file(&path, &canonical_root, kind, &settings))
                .await
                .map_err(|err| Refusal::Unreadable(format!("check did not finish: {err}")))??
        };
        if kind == MediaKind::Video {
            let timeout = self.settings.ffprobe_timeout();
            hsi_core::video_probe::probe_video(&self.settings.ffprobe, path, timeout).await?;
        }
        Ok(Candidate {
            camera,
            kind,
            extension,
            checked,
        })
    }

    /// Logs, counts and records a refusal (a file that vanished leaves no record: it no
    /// longer exists to be asked about).
    async fn refuse(&self, version: &FileVersion, camera_id: Option<&str>, refusal: &Refusal) {
        let shown = &version.path;
        let camera = camera_id.unwrap_or_default();
        if matches!(refusal, Refusal::Vanished) {
            tracing::debug!(path = %shown, %camera, "file vanished before it was checked");
            return;
        }
        metrics::counter!("hsi_files_refused_total", "reason" => refusal.reason()).increment(1);
        tracing::warn!(path = %shown, %camera, reason = refusal.reason(), detail = %refusal, "file refused");
        let detail = refusal.to_string();
        let recorded = self
            .db_retry("recording the refusal", shown, || {
                ledger::record_refusal(&self.db, version, camera_id, refusal.reason(), &detail)
            })
            .await;
        if recorded.is_none() {
            tracing::warn!(path = %shown, %camera, "refusal not recorded; the file will be checked again at the next scan");
        }
    }

    async fn enqueue(&self, version: &FileVersion, candidate: Candidate) -> Outcome {
        let shown = version.path.as_str();
        let camera = &candidate.camera;
        let touched = self
            .db_retry("recording the camera", shown, || {
                cameras::touch_camera(&self.db, camera)
            })
            .await;
        match touched {
            Some(false) => {}
            Some(true) => return Outcome::Refused(Refusal::CameraDeleted),
            None => return self.abandon(shown, Some(&camera.id)),
        }
        let message_id = uuid::Uuid::now_v7().to_string();
        let new_file = NewFile {
            version,
            camera_id: &camera.id,
            media_kind: candidate.kind,
            file_type: &candidate.extension,
            sha256: &candidate.checked.sha256,
            message_id: &message_id,
        };
        let admitted = self
            .db_retry("recording the file in the ledger", shown, || {
                ledger::admit(&self.db, &new_file)
            })
            .await;
        match admitted {
            Some(Admission::Accepted(file)) => {
                metrics::counter!("hsi_files_accepted_total", "camera" => file.camera_id.clone())
                    .increment(1);
                self.publish(&file).await;
                Outcome::Accepted
            }
            Some(Admission::DuplicateOf(original)) => {
                metrics::counter!("hsi_files_duplicate_total").increment(1);
                tracing::info!(path = %shown, camera = %camera.id, sha256 = %candidate.checked.sha256, original, "duplicate content, skipped");
                Outcome::Duplicate
            }
            None => self.abandon(shown, Some(&camera.id)),
        }
    }

    /// Puts an accepted file on the files stream (waiting while the stream is full) and
    /// notes the entry in the ledger. Returns false if it could not: the file stays
    /// accepted and unenqueued, and the recovery sweep publishes it later.
    pub async fn publish(&self, file: &AcceptedFile) -> bool {
        // The root of the file's trace: the message carries this span's context on.
        let span = tracing::info_span!(
            "file",
            camera_id = %file.camera_id,
            path = %file.path,
            media_id = file.id,
            message_id = %file.message_id,
            outcome = tracing::field::Empty,
        );
        let published = self.publish_in_span(file).instrument(span.clone()).await;
        let outcome = if published {
            "enqueued"
        } else {
            "not_enqueued"
        };
        span.record("outcome", outcome);
        published
    }

    async fn publish_in_span(&self, file: &AcceptedFile) -> bool {
        let message = file_message(file);
        let published = retry(
            &self.shutdown,
            Backoff::default(),
            "publishing the file",
            &file.path,
            QueueError::is_transient,
            || self.producer.publish(message.clone()),
        )
        .await;
        let entry = match published {
            Retried::Done(entry) => entry,
            Retried::Failed(err) => {
                tracing::error!(path = %file.path, camera = %file.camera_id, error = %err, "cannot publish the file; the recovery sweep will try again");
                return false;
            }
            Retried::Abandoned => {
                tracing::warn!(path = %file.path, camera = %file.camera_id, "shutting down before the file was enqueued; it is in the ledger and will be enqueued at the next start");
                return false;
            }
        };
        hsi_core::pipeline_metrics::observe_stage(
            hsi_core::pipeline_metrics::Stage::Enqueued,
            message.observed_at_ms,
            hsi_core::pipeline_metrics::now_ms(),
        );
        tracing::info!(path = %file.path, camera = %file.camera_id, sha256 = %file.sha256, size = file.size, %entry, ledger_id = file.id, "file enqueued");
        // If this note is lost, the sweep finds the file unprocessed with no entry to
        // look for and publishes it again; the detection worker's writes are keyed on
        // the message id, so the second message changes nothing.
        let marked = self
            .db_retry("noting the enqueue in the ledger", &file.path, || {
                ledger::mark_enqueued(&self.db, file.id, &entry)
            })
            .await;
        if marked.is_none() {
            tracing::warn!(path = %file.path, ledger_id = file.id, "enqueue not noted in the ledger");
        }
        true
    }

    /// Retries a database step while PostgreSQL is unavailable; `None` when it failed for
    /// good or shutdown began.
    async fn db_retry<T, F, Fut>(&self, what: &str, path: &str, attempt: F) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, DbErr>>,
    {
        match retry(
            &self.shutdown,
            Backoff::default(),
            what,
            path,
            cameras::is_transient,
            attempt,
        )
        .await
        {
            Retried::Done(value) => Some(value),
            Retried::Failed(err) => {
                tracing::error!(%path, error = %err, "{what} failed");
                None
            }
            Retried::Abandoned => None,
        }
    }

    fn abandon(&self, shown: &str, camera: Option<&str>) -> Outcome {
        tracing::warn!(path = %shown, camera = camera.unwrap_or_default(), "file left undecided (shutdown or database failure); it will be looked at again");
        Outcome::Abandoned
    }
}

/// The files-stream message of an accepted file: the same message id and observation
/// time however often it is enqueued, so a re-enqueue is recognisably the same file.
pub fn file_message(file: &AcceptedFile) -> FileMessage {
    FileMessage {
        meta: Some(MessageMeta {
            message_id: file.message_id.clone(),
            ..MessageMeta::default()
        }),
        camera_id: file.camera_id.clone(),
        path: file.path_bytes.clone(),
        path_display: file.path.clone(),
        media_kind: file.media_kind.into(),
        file_type: file.file_type.clone(),
        size_bytes: u64::try_from(file.size).unwrap_or_default(),
        sha256: file.sha256.clone(),
        observed_at_ms: file.observed_at.timestamp_millis(),
        media_file_id: file.id,
    }
}
