//! One uploaded file through the detector: read it, detect, crop thumbnails, record,
//! pass the detections on.

use crate::media::{self, Frame, MediaInfo};
use crate::settings::WorkerSettings;
use crate::store::{self, Source};
use crate::thumbnails::{thumbnail_path, write_thumbnail};
use chrono::{DateTime, TimeZone, Utc};
use hsi_db::entities::detections;
use hsi_detector::{prepare_scaled, Detection, DetectorHandle};
use hsi_proto::v1::{BoundingBox, DetectionsMessage, FileMessage, MediaKind, MessageMeta};
use hsi_queue::{trace, Delivery, HandlerError, Producer, QueueError};
use sea_orm::{ActiveValue::Set, DatabaseConnection, NotSet};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// What the worker needs to handle one file.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub db: DatabaseConnection,
    pub detector: DetectorHandle,
    pub producer: Producer<DetectionsMessage>,
    pub settings: Arc<WorkerSettings>,
}

/// Records a stage's latency (seconds) in the `hsi_detection_stage_seconds` histogram.
fn stage(name: &'static str, started: Instant) {
    metrics::histogram!("hsi_detection_stage_seconds", "stage" => name)
        .record(started.elapsed().as_secs_f64());
}

impl Pipeline {
    /// Handles one delivery from the files stream.
    pub async fn handle(&self, delivery: Delivery<FileMessage>) -> Result<(), HandlerError> {
        let file = delivery.message;
        let message_id = file
            .meta
            .as_ref()
            .map(|m| m.message_id.clone())
            .filter(|id| !id.is_empty())
            .unwrap_or(delivery.id);
        // A child of the file-watcher's `file` span; the detections message carries
        // this span's context on to the aggregator.
        let span = tracing::info_span!(
            "detection",
            camera_id = %file.camera_id,
            path = %file.path_display,
            media_id = file.media_file_id,
            %message_id,
            detections = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let parent = file.meta.as_ref().and_then(|m| m.trace.as_ref());
        let span = trace::span_with_parent(span, parent);
        let handled = self
            .handle_file(&file, message_id)
            .instrument(span.clone())
            .await;
        span.record("outcome", trace::outcome(&handled));
        handled
    }

    async fn handle_file(
        &self,
        file: &FileMessage,
        message_id: String,
    ) -> Result<(), HandlerError> {
        let started = Instant::now();
        let source = Source {
            message_id: message_id.clone(),
            media_file_id: (file.media_file_id > 0).then_some(file.media_file_id),
        };

        // A redelivery (or a re-enqueue) of a file already processed only needs passing
        // its detections on again: the processing record says it was done, even when it
        // found nothing.
        let done = store::processed(&self.db, &message_id)
            .await
            .map_err(retry("reading the processing record"))?;
        let rows = match done {
            Some(record) if record.outcome == "detected" => {
                let rows = store::by_source(&self.db, &message_id)
                    .await
                    .map_err(retry("reading detections"))?;
                tracing::info!(
                    rows = rows.len(),
                    "file already processed, passing its detections on again"
                );
                rows
            }
            _ => self.detect_and_record(file, &source).await?,
        };
        tracing::Span::current().record("detections", rows.len());
        self.publish(file, &message_id, &rows).await?;
        metrics::counter!("hsi_files_processed_total", "media" => media_label(file)).increment(1);
        stage("total", started);
        Ok(())
    }

    async fn detect_and_record(
        &self,
        file: &FileMessage,
        source: &Source,
    ) -> Result<Vec<detections::Model>, HandlerError> {
        let message_id = source.message_id.as_str();
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(&file.path));
        let started = Instant::now();
        // Decoders are sized together with the model's threads, not one per file.
        let permit = self.detector.decode_permit().await;
        let loaded = if file.media_kind == MediaKind::Video as i32 {
            media::load_video(&path, &self.settings).await
        } else {
            let description = self.detector.description();
            let cover = (description.input_width, description.input_height);
            media::load_image(&path, cover, self.settings.max_image_pixels).await
        };
        drop(permit);
        let (frames, info) = match loaded {
            Ok(loaded) => loaded,
            Err(err) if err.is_transient() => return Err(HandlerError::Retry(err.to_string())),
            Err(err) => return Err(self.fail_file(source, err.to_string()).await),
        };
        stage("decode", started);

        let found = self.detect_frames(&frames).await?;
        let seen_at = observed_at(file);
        let day = seen_at.format("%Y-%m-%d").to_string();
        let mut rows = Vec::new();
        let mut crops = Vec::new();
        for (frame, detections) in frames.iter().zip(found) {
            for (object, detection) in detections.into_iter().enumerate() {
                let thumb = thumbnail_path(
                    &self.settings.thumbnails_dir,
                    &file.camera_id,
                    &day,
                    message_id,
                    frame.index,
                    object,
                );
                rows.push(self.row(
                    file, message_id, &info, frame, object, &detection, &thumb, seen_at,
                ));
                crops.push((frame.index, detection, thumb));
            }
        }
        let started = Instant::now();
        self.write_thumbnails(&frames, crops).await;
        stage("thumbnails", started);

        let started = Instant::now();
        let stored = match store::record_detected(&self.db, source, frames.len(), rows).await {
            Ok(stored) => stored,
            Err(err) if store::is_missing_camera(&err) => {
                let error = format!("camera {} does not exist", file.camera_id);
                return Err(self.fail_file(source, error).await);
            }
            Err(err) => {
                return Err(HandlerError::Retry(format!(
                    "recording detections failed: {err}"
                )))
            }
        };
        stage("write", started);
        for row in &stored {
            metrics::counter!("hsi_detections_total", "class" => row.object_type.clone().unwrap_or_default()).increment(1);
        }
        tracing::info!(
            frames = frames.len(),
            detections = stored.len(),
            "file processed"
        );
        Ok(stored)
    }

    /// Runs every frame through the detector; they queue up together, so the frames of
    /// one clip (and of concurrent files) share forward passes.
    async fn detect_frames(&self, frames: &[Frame]) -> Result<Vec<Vec<Detection>>, HandlerError> {
        let jobs = frames.iter().map(|frame| {
            let detector = self.detector.clone();
            let prepared =
                prepare_scaled(&frame.image, frame.original_width, frame.original_height);
            async move {
                let result = detector
                    .detect(prepared)
                    .await
                    .map_err(|err| HandlerError::Retry(format!("detection failed: {err}")))?;
                for (name, took) in [
                    ("queued", result.queued),
                    ("upload", result.upload),
                    ("forward", result.forward),
                    ("decode_boxes", result.decode),
                ] {
                    metrics::histogram!("hsi_detection_stage_seconds", "stage" => name)
                        .record(took.as_secs_f64());
                }
                Ok(result.detections)
            }
        });
        futures::future::try_join_all(jobs).await
    }

    #[allow(clippy::too_many_arguments)] // one row gathers facts from all of these
    fn row(
        &self,
        file: &FileMessage,
        message_id: &str,
        info: &MediaInfo,
        frame: &Frame,
        object: usize,
        detection: &Detection,
        thumbnail: &std::path::Path,
        seen_at: DateTime<Utc>,
    ) -> detections::ActiveModel {
        let offset_ms = (frame.offset_secs * 1000.0) as i64;
        detections::ActiveModel {
            id: NotSet,
            camera_id: Set(file.camera_id.clone()),
            file_path: Set(file.path_display.clone()),
            file_type: Set(Some(file.file_type.clone()).filter(|t| !t.is_empty())),
            detected_at: Set(seen_at + chrono::Duration::milliseconds(offset_ms)),
            object_type: Set(Some(detection.class_name.clone())),
            confidence: Set(Some(f64::from(detection.confidence))),
            bbox_x: Set(Some(detection.x)),
            bbox_y: Set(Some(detection.y)),
            bbox_width: Set(Some(detection.width)),
            bbox_height: Set(Some(detection.height)),
            thumbnail_path: Set(Some(thumbnail.display().to_string())),
            media_type: Set(Some(
                if info.is_video { "video" } else { "image" }.to_owned(),
            )),
            duration: Set(info.duration_secs),
            video_codec: Set(info.codec.clone()),
            video_width: Set(info.is_video.then_some(info.width as i32)),
            video_height: Set(info.is_video.then_some(info.height as i32)),
            enrichment_data: Set(None),
            source_message_id: Set(Some(message_id.to_owned())),
            frame_index: Set(frame.index),
            object_index: Set(object as i32),
            frame_offset: Set(info.is_video.then_some(frame.offset_secs)),
            frame_width: Set(i32::try_from(frame.original_width).ok()),
            frame_height: Set(i32::try_from(frame.original_height).ok()),
        }
    }

    /// Thumbnails are a convenience: a failure is logged, never fatal to the file. They
    /// are cut from the frame as decoded (for a large JPEG, a reduced scale of it).
    async fn write_thumbnails(&self, frames: &[Frame], crops: Vec<(i32, Detection, PathBuf)>) {
        if crops.is_empty() {
            return;
        }
        let images: Vec<_> = frames
            .iter()
            .map(|f| (f.index, f.image.clone(), f.scale()))
            .collect();
        let size = self.settings.thumbnail_size;
        let written = tokio::task::spawn_blocking(move || {
            for (index, detection, path) in crops {
                let Some((_, image, (sx, sy))) = images.iter().find(|(i, _, _)| *i == index)
                else {
                    continue;
                };
                let decoded = Detection {
                    x: (detection.x as f32 / sx) as i32,
                    y: (detection.y as f32 / sy) as i32,
                    width: (detection.width as f32 / sx).ceil() as i32,
                    height: (detection.height as f32 / sy).ceil() as i32,
                    ..detection
                };
                if let Err(err) = write_thumbnail(image, &decoded, size, &path) {
                    tracing::warn!(path = %path.display(), error = %err, "could not write thumbnail");
                }
            }
        })
        .await;
        if let Err(err) = written {
            tracing::warn!(error = %err, "thumbnail writer failed");
        }
    }

    async fn publish(
        &self,
        file: &FileMessage,
        message_id: &str,
        rows: &[detections::Model],
    ) -> Result<(), HandlerError> {
        let started = Instant::now();
        let parent = file.meta.as_ref().and_then(|m| m.trace.as_ref());
        let message = DetectionsMessage {
            meta: Some(MessageMeta {
                trace: Some(trace::outgoing(parent)),
                ..MessageMeta::default()
            }),
            camera_id: file.camera_id.clone(),
            file_path: file.path_display.clone(),
            media_kind: file.media_kind,
            detected_at_ms: file.observed_at_ms,
            detections: rows.iter().map(to_proto).collect(),
            source_message_id: message_id.to_owned(),
            image_width: rows.first().and_then(|r| r.frame_width).unwrap_or_default(),
            image_height: rows
                .first()
                .and_then(|r| r.frame_height)
                .unwrap_or_default(),
            fast_path_min_confidence: self.detector.description().fast_path_min_confidence,
        };
        self.producer
            .publish(message)
            .await
            .map_err(|err| match err {
                // The detections are recorded; only passing them on waits for room.
                QueueError::Backpressure { .. } => HandlerError::Backpressure(err.to_string()),
                err => HandlerError::Retry(format!("publishing detections failed: {err}")),
            })?;
        stage("publish", started);
        hsi_core::pipeline_metrics::observe_stage(
            hsi_core::pipeline_metrics::Stage::Detected,
            file.meta.as_ref().map_or(0, |meta| meta.enqueued_at_ms),
            hsi_core::pipeline_metrics::now_ms(),
        );
        Ok(())
    }
}

fn to_proto(row: &detections::Model) -> hsi_proto::v1::Detection {
    hsi_proto::v1::Detection {
        id: i64::from(row.id),
        object_type: row.object_type.clone().unwrap_or_default(),
        confidence: row.confidence.unwrap_or_default() as f32,
        bbox: Some(BoundingBox {
            x: row.bbox_x.unwrap_or_default(),
            y: row.bbox_y.unwrap_or_default(),
            width: row.bbox_width.unwrap_or_default(),
            height: row.bbox_height.unwrap_or_default(),
        }),
        frame_index: row.frame_index,
        frame_offset_secs: row.frame_offset.unwrap_or_default(),
        thumbnail_path: row.thumbnail_path.clone().unwrap_or_default(),
    }
}

fn observed_at(file: &FileMessage) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(file.observed_at_ms)
        .single()
        .filter(|_| file.observed_at_ms > 0)
        .unwrap_or_else(Utc::now)
}

fn media_label(file: &FileMessage) -> &'static str {
    if file.media_kind == MediaKind::Video as i32 {
        "video"
    } else {
        "image"
    }
}

impl Pipeline {
    /// Records that the file cannot be processed (so nobody enqueues it again) and
    /// returns the error that dead-letters its message. If even the record cannot be
    /// written, the message is retried instead, so the failure is not forgotten.
    async fn fail_file(&self, source: &Source, error: String) -> HandlerError {
        tracing::warn!(%error, "file cannot be processed");
        match store::record_failed(&self.db, source, &error).await {
            Ok(()) => HandlerError::Permanent(error),
            Err(err) => {
                HandlerError::Retry(format!("{error}; recording the failure failed too: {err}"))
            }
        }
    }
}

fn retry(what: &'static str) -> impl Fn(sea_orm::DbErr) -> HandlerError {
    move |err| HandlerError::Retry(format!("{what} failed: {err}"))
}
