//! One thread owns the model; callers send it images and await their detections. On
//! CUDA it gathers up to `max_batch_size` images, or what arrived within
//! `batch_timeout_ms` of the first, into one forward pass.

use crate::detector::{Detection, Detector, DetectorError, ModelDescription};
use crate::preprocess::PreparedImage;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The detections of one image and what it cost.
#[derive(Debug)]
pub struct ImageResult {
    pub detections: Vec<Detection>,
    /// Time from the request to the start of its forward pass.
    pub queued: Duration,
    /// The forward pass of the whole batch it was part of.
    pub forward: Duration,
    /// Decoding the batch's output.
    pub decode: Duration,
    /// How many images shared the forward pass.
    pub batch_size: usize,
}

struct Job {
    image: PreparedImage,
    submitted: Instant,
    reply: oneshot::Sender<Result<ImageResult, DetectorError>>,
}

/// A handle to the detector thread; clone it freely.
#[derive(Debug, Clone)]
pub struct DetectorHandle {
    jobs: mpsc::Sender<Job>,
    description: ModelDescription,
    processed: Arc<AtomicU64>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("submitted", &self.submitted)
            .finish_non_exhaustive()
    }
}

impl DetectorHandle {
    /// Moves the detector onto its own thread. The thread ends when every handle is dropped.
    pub fn start(detector: Detector) -> std::io::Result<Self> {
        let description = detector.describe();
        let max_batch = description.max_batch_size.max(1);
        let timeout = Duration::from_millis(detector.settings().batch_timeout_ms);
        let (jobs, queue) = mpsc::channel::<Job>();
        let processed = Arc::new(AtomicU64::new(0));
        let counter = processed.clone();
        std::thread::Builder::new()
            .name("hsi-detector".to_owned())
            .spawn(move || run(detector, queue, max_batch, timeout, &counter))?;
        Ok(Self {
            jobs,
            description,
            processed,
        })
    }

    pub fn description(&self) -> &ModelDescription {
        &self.description
    }

    /// Images through the model since start.
    pub fn images_processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }

    /// Detects objects in one prepared image.
    pub async fn detect(&self, image: PreparedImage) -> Result<ImageResult, DetectorError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                image,
                submitted: Instant::now(),
                reply,
            })
            .map_err(|_| DetectorError::Stopped)?;
        answer.await.map_err(|_| DetectorError::Stopped)?
    }
}

fn run(
    detector: Detector,
    queue: mpsc::Receiver<Job>,
    max_batch: usize,
    timeout: Duration,
    processed: &AtomicU64,
) {
    while let Ok(first) = queue.recv() {
        let deadline = Instant::now() + timeout;
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match queue.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(job) => batch.push(job),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        let started = Instant::now();
        let (images, waiting): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|job| (job.image, (job.submitted, job.reply)))
            .unzip();
        let size = images.len();
        metrics::histogram!("hsi_detector_batch_size").record(size as f64);
        match detector.detect(&images) {
            Ok(output) => {
                processed.fetch_add(size as u64, Ordering::Relaxed);
                metrics::histogram!("hsi_detector_forward_seconds")
                    .record(output.forward.as_secs_f64());
                for (detections, (submitted, reply)) in output.detections.into_iter().zip(waiting) {
                    let _ = reply.send(Ok(ImageResult {
                        detections,
                        queued: started.saturating_duration_since(submitted),
                        forward: output.forward,
                        decode: output.decode,
                        batch_size: size,
                    }));
                }
            }
            Err(err) => {
                tracing::error!(error = %err, batch = size, "detection failed");
                let message = err.to_string();
                for (_, reply) in waiting {
                    let _ = reply.send(Err(DetectorError::Forward(tch::TchError::Torch(
                        message.clone(),
                    ))));
                }
            }
        }
    }
    tracing::debug!("detector thread stopped");
}
