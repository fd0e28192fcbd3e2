//! One complete file, from validation to the files stream: check it, register its
//! camera, skip content already enqueued, publish.

use crate::cameras;
use crate::names::{self, CameraFolder};
use crate::probe::probe_video;
use crate::refusal::Refusal;
use crate::retry::{retry, Retried};
use crate::settings::WatcherSettings;
use crate::validate::{check_file, CheckedFile};
use hsi_proto::v1::{FileMessage, MediaKind, MessageMeta};
use hsi_queue::{Producer, QueueError, RedisPool};
use sea_orm::DatabaseConnection;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// How processing a file ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Duplicate,
    Refused(Refusal),
    /// Shutdown began before it could be enqueued; catch-up finds it at the next start.
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
    pub redis: RedisPool,
    pub producer: Producer<FileMessage>,
    /// `<redis prefix>dedup:sha256:`
    pub dedup_prefix: String,
    pub shutdown: CancellationToken,
}

impl Pipeline {
    /// Validates and enqueues the file at `path`, logging and counting the outcome.
    pub async fn process(&self, path: &Path) -> Outcome {
        let shown = path.to_string_lossy();
        let camera_id = names::camera_of_file(&self.root, path)
            .map(|camera| camera.id)
            .unwrap_or_default();
        let started = Instant::now();
        let validated = self.validate(path).await;
        metrics::histogram!("hsi_file_validation_seconds").record(started.elapsed().as_secs_f64());
        let outcome = match validated {
            Ok(candidate) => self.enqueue(path, candidate).await,
            Err(refusal) => Outcome::Refused(refusal),
        };
        match &outcome {
            Outcome::Refused(Refusal::Vanished) => {
                tracing::debug!(path = %shown, camera = %camera_id, "file vanished before it was checked");
            }
            Outcome::Refused(refusal) => {
                metrics::counter!("hsi_files_refused_total", "reason" => refusal.reason())
                    .increment(1);
                tracing::warn!(path = %shown, camera = %camera_id, reason = refusal.reason(), detail = %refusal, "file refused");
            }
            Outcome::Accepted | Outcome::Duplicate | Outcome::Abandoned => {}
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
            probe_video(&self.settings.ffprobe, path, timeout).await?;
        }
        Ok(Candidate {
            camera,
            kind,
            extension,
            checked,
        })
    }

    async fn enqueue(&self, path: &Path, candidate: Candidate) -> Outcome {
        if let Some(stop) = self.record_camera(path, &candidate.camera).await {
            return stop;
        }
        let message_id = uuid::Uuid::now_v7().to_string();
        let key = format!("{}{}", self.dedup_prefix, candidate.checked.sha256);
        if let Some(stop) = self
            .claim_content(path, &candidate, &key, &message_id)
            .await
        {
            return stop;
        }
        let message = file_message(path, &candidate, message_id.clone());
        let outcome = self.publish(path, &key, message).await;
        if matches!(outcome, Outcome::Accepted) {
            self.confirm(&key, &message_id).await;
        }
        outcome
    }

    /// Registers the camera or marks it seen; `Some` when the file must stop here.
    async fn record_camera(&self, path: &Path, camera: &CameraFolder) -> Option<Outcome> {
        let shown = path.to_string_lossy();
        let touched = retry(
            &self.shutdown,
            "recording the camera",
            &shown,
            cameras::is_transient,
            || cameras::touch_camera(&self.db, camera),
        )
        .await;
        match touched {
            Retried::Done(false) => None,
            Retried::Done(true) => Some(Outcome::Refused(Refusal::CameraDeleted)),
            Retried::Failed(err) => Some(Outcome::Refused(Refusal::CameraNotRecorded(
                err.to_string(),
            ))),
            Retried::Abandoned => Some(self.abandon(&shown, &camera.id)),
        }
    }

    /// Claims the content hash for this file; `Some` when the file must stop here
    /// (another file with the same content was enqueued within the TTL).
    async fn claim_content(
        &self,
        path: &Path,
        candidate: &Candidate,
        key: &str,
        message_id: &str,
    ) -> Option<Outcome> {
        let shown = path.to_string_lossy();
        let camera = &candidate.camera.id;
        let claimed = retry(
            &self.shutdown,
            "claiming the content hash",
            &shown,
            QueueError::is_transient,
            || self.claim(key, message_id),
        )
        .await;
        match claimed {
            Retried::Done(Claim::Claimed) => None,
            Retried::Done(Claim::HeldElsewhere(wait)) => {
                // Another attempt is enqueueing this content, or died doing so; its
                // claim ends soon either way, so look again then rather than drop the file.
                tracing::info!(path = %shown, %camera, wait_ms = wait.as_millis() as u64, "content is being enqueued by another attempt, waiting for it");
                tokio::select! {
                    _ = self.shutdown.cancelled() => return Some(self.abandon(&shown, camera)),
                    _ = tokio::time::sleep(wait) => {}
                }
                Box::pin(self.claim_content(path, candidate, key, message_id)).await
            }
            Retried::Done(Claim::Duplicate) => {
                metrics::counter!("hsi_files_duplicate_total").increment(1);
                tracing::info!(path = %shown, %camera, sha256 = %candidate.checked.sha256, "duplicate content, skipped");
                Some(Outcome::Duplicate)
            }
            Retried::Failed(err) => {
                tracing::error!(path = %shown, %camera, error = %err, "cannot check the content hash, file not enqueued");
                Some(Outcome::Abandoned)
            }
            Retried::Abandoned => Some(self.abandon(&shown, camera)),
        }
    }

    async fn publish(&self, path: &Path, key: &str, message: FileMessage) -> Outcome {
        let shown = path.to_string_lossy();
        let published = retry(
            &self.shutdown,
            "publishing the file",
            &shown,
            QueueError::is_transient,
            || self.producer.publish(message.clone()),
        )
        .await;
        match published {
            Retried::Done(entry) => {
                metrics::counter!("hsi_files_accepted_total", "camera" => message.camera_id.clone())
                    .increment(1);
                tracing::info!(path = %shown, camera = %message.camera_id, sha256 = %message.sha256, size = message.size_bytes, entry = %entry, "file enqueued");
                Outcome::Accepted
            }
            Retried::Failed(err) => {
                self.release(key).await;
                tracing::error!(path = %shown, camera = %message.camera_id, error = %err, "cannot publish the file");
                Outcome::Abandoned
            }
            Retried::Abandoned => {
                self.release(key).await;
                self.abandon(&shown, &message.camera_id)
            }
        }
    }

    fn abandon(&self, shown: &str, camera: &str) -> Outcome {
        tracing::warn!(path = %shown, %camera, "shutting down before the file was enqueued; it will be caught up at the next start");
        Outcome::Abandoned
    }

    /// Claims the content hash for this file, briefly (`claim_ttl_ms`): the claim only
    /// becomes the long-lived "already enqueued" mark once the message is published
    /// (see [`Pipeline::confirm`]), so a crash between the two cannot hide the content.
    async fn claim(&self, key: &str, message_id: &str) -> Result<Claim, QueueError> {
        let mut conn = self.redis.get().await?;
        let reply: (String, i64) = CLAIM
            .key(key)
            .arg(format!("pending:{message_id}"))
            .arg(self.settings.claim_ttl_ms)
            .invoke_async(&mut *conn)
            .await?;
        Ok(match reply {
            (status, _) if status == "claimed" => Claim::Claimed,
            (status, _) if status == "done" => Claim::Duplicate,
            (_, ttl_ms) => {
                Claim::HeldElsewhere(Duration::from_millis(ttl_ms.clamp(10, 60_000) as u64 + 10))
            }
        })
    }

    /// Turns the claim into the mark that skips the same content for `dedup_ttl_secs`.
    async fn confirm(&self, key: &str, message_id: &str) {
        let confirmed: Result<(), QueueError> = async {
            let mut conn = self.redis.get().await?;
            let _: Option<String> = redis::cmd("SET")
                .arg(key)
                .arg(format!("done:{message_id}"))
                .arg("XX")
                .arg("EX")
                .arg(self.settings.dedup_ttl_secs)
                .query_async(&mut *conn)
                .await?;
            Ok(())
        }
        .await;
        if let Err(err) = confirmed {
            // The claim still expires on its own; the same content uploaded again after
            // that would be processed twice, which idempotent consumers tolerate.
            tracing::warn!(%key, error = %err, "cannot mark the content as enqueued");
        }
    }

    /// Gives the content hash back so that the file can be enqueued by a later attempt.
    async fn release(&self, key: &str) {
        let released: Result<(), QueueError> = async {
            let mut conn = self.redis.get().await?;
            let _: i64 = redis::cmd("DEL").arg(key).query_async(&mut *conn).await?;
            Ok(())
        }
        .await;
        if let Err(err) = released {
            tracing::warn!(%key, error = %err, "cannot release the dedup key; the content is skipped until it expires");
        }
    }
}

/// The outcome of claiming a content hash.
enum Claim {
    Claimed,
    /// Already enqueued within the dedup TTL.
    Duplicate,
    /// Claimed by an attempt still in progress (or dead); the claim ends within this.
    HeldElsewhere(Duration),
}

/// `SET NX` with a marker of progress: {"claimed"|"done"|"pending", ttl ms}.
static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        local held = redis.call('GET', KEYS[1])
        if not held then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return {'claimed', 0}
        end
        if string.sub(held, 1, 5) == 'done:' then
            return {'done', 0}
        end
        return {'pending', redis.call('PTTL', KEYS[1])}
        ",
    )
});

fn file_message(path: &Path, candidate: &Candidate, message_id: String) -> FileMessage {
    let observed_at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    FileMessage {
        meta: Some(MessageMeta {
            message_id,
            ..MessageMeta::default()
        }),
        camera_id: candidate.camera.id.clone(),
        path: path.as_os_str().as_bytes().to_vec(),
        path_display: path.to_string_lossy().into_owned(),
        media_kind: candidate.kind.into(),
        file_type: candidate.extension.clone(),
        size_bytes: candidate.checked.size,
        sha256: candidate.checked.sha256.clone(),
        observed_at_ms,
    }
}
