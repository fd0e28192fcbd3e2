//! Running a handler over a consumer until shutdown.

use crate::consumer::{Consumer, Delivery, FailOutcome};
use crate::message::QueueMessage;
use hsi_core::retry::Backoff;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Why a handler could not finish a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerError {
    /// Worth trying again (a dependency was down, a timeout).
    Retry(String),
    /// No retry can help (the input itself is bad): dead-letter it now.
    Permanent(String),
    /// A stream the handler writes to is full. The message is put back without counting
    /// the delivery, and the loop stops taking new messages for a while, so a full
    /// stream downstream pauses this stage instead of failing its messages.
    Backpressure(String),
}

/// How a consume loop runs.
#[derive(Debug, Clone)]
pub struct ConsumeOptions {
    /// Messages handled at once.
    pub concurrency: usize,
    /// Longest wait between attempts while Redis is unreachable.
    pub max_backoff: Duration,
}

impl Default for ConsumeOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// The messages being worked on, with when each started.
type InFlightSet = Arc<Mutex<HashMap<String, Instant>>>;

/// Removes a message from the in-flight set however its task ends (even by panic).
struct InFlight {
    ids: InFlightSet,
    id: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.remove(&self.id);
        }
    }
}

/// Pauses intake while a stream downstream is full: shared by the loop (which waits) and
/// the handler tasks (which report backpressure or a success).
#[derive(Debug)]
struct Intake {
    paused_until: Mutex<Option<Instant>>,
    backoff: Mutex<Backoff>,
}

impl Intake {
    fn new(max: Duration) -> Self {
        Self {
            paused_until: Mutex::new(None),
            backoff: Mutex::new(Backoff::new(Duration::from_millis(250), max)),
        }
    }

    /// Pauses intake for the next back-off delay and returns it.
    fn pause(&self) -> Duration {
        let delay = self
            .backoff
            .lock()
            .map(|mut backoff| backoff.next_delay())
            .unwrap_or(Duration::from_secs(1));
        if let Ok(mut until) = self.paused_until.lock() {
            let end = Instant::now() + delay;
            *until = Some(until.map_or(end, |current| current.max(end)));
        }
        delay
    }

    fn resume(&self) {
        if let Ok(mut backoff) = self.backoff.lock() {
            backoff.reset();
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        self.paused_until
            .lock()
            .ok()
            .and_then(|until| *until)
            .filter(|until| *until > Instant::now())
    }
}

/// Receives messages and runs `handler` on each, up to `concurrency` at once, until
/// `shutdown` is cancelled; then stops receiving and waits (at most
/// `queue.drain_timeout_ms`) for in-flight messages to be settled. A success acknowledges
/// the message; a failure retries it with back-off or, at the delivery limit or for a
/// [`HandlerError::Permanent`], dead-letters it; [`HandlerError::Backpressure`] puts it
/// back uncounted and pauses intake. A handler still running after
/// `queue.max_processing_ms` is cut short and counts as a failure. While Redis is
/// unreachable the loop waits and retries with back-off; it never gives up.
pub async fn consume<M, H, F>(
    consumer: Arc<Consumer<M>>,
    options: ConsumeOptions,
    shutdown: CancellationToken,
    handler: H,
) where
    M: QueueMessage,
    H: Fn(Delivery<M>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    let concurrency = options.concurrency.max(1);
    let permits = Arc::new(Semaphore::new(concurrency));
    let in_flight: InFlightSet = Arc::default();
    let handler = Arc::new(handler);
    let intake = Arc::new(Intake::new(options.max_backoff));
    let leases = tokio::spawn(keep_leases(consumer.clone(), in_flight.clone()));
    let gauges = tokio::spawn(report_depth(consumer.clone()));
    let stream = consumer.keys().stream.clone();
    let mut backoff = Backoff::new(Duration::from_millis(100), options.max_backoff);

    while !shutdown.is_cancelled() {
        if let Some(until) = intake.paused_until() {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep_until(until) => continue,
            }
        }
        let Ok(first) = permits.clone().acquire_owned().await else {
            break;
        };
        let mut held = vec![first];
        while let Ok(more) = permits.clone().try_acquire_owned() {
            held.push(more);
        }
        // The receive is not raced against shutdown: dropping a blocking read midway
        // would strand what it had already been handed until the visibility timeout.
        match consumer.receive(held.len()).await {
            Ok(deliveries) => {
                backoff.reset();
                for delivery in deliveries {
                    let Some(permit) = held.pop() else { break };
                    let guard = InFlight {
                        ids: in_flight.clone(),
                        id: delivery.id.clone(),
                    };
                    if let Ok(mut ids) = in_flight.lock() {
                        ids.insert(delivery.id.clone(), Instant::now());
                    }
                    let consumer = consumer.clone();
                    let handler = handler.clone();
                    let intake = intake.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        let _guard = guard;
                        let (id, count) = (delivery.id.clone(), delivery.delivery_count);
                        let limit = consumer.settings().max_processing();
                        let outcome = match tokio::time::timeout(limit, handler(delivery)).await {
                            Ok(outcome) => outcome,
                            Err(_) => Err(HandlerError::Retry(format!(
                                "not finished within queue.max_processing_ms ({} ms)",
                                limit.as_millis()
                            ))),
                        };
                        settle(&consumer, &intake, &id, count, outcome).await;
                    });
                }
            }
            Err(err) => {
                drop(held);
                let delay = backoff.next_delay();
                tracing::warn!(%stream, error = %err, retry_in_ms = delay.as_millis() as u64, "queue unavailable, retrying");
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }

    tracing::info!(%stream, "draining in-flight messages");
    let deadline = consumer.settings().drain_timeout();
    let drained = tokio::time::timeout(deadline, permits.acquire_many(concurrency as u32)).await;
    if drained.is_err() {
        let left = in_flight.lock().map(|ids| ids.len()).unwrap_or_default();
        tracing::warn!(%stream, left, deadline_ms = deadline.as_millis() as u64,
            "drain deadline passed; unfinished messages stay pending and will be redelivered");
    }
    leases.abort();
    gauges.abort();
    tracing::info!(%stream, "consumer stopped");
}

async fn settle<M: QueueMessage>(
    consumer: &Consumer<M>,
    intake: &Intake,
    id: &str,
    count: u32,
    outcome: Result<(), HandlerError>,
) {
    let stream = &consumer.keys().stream;
    let result = match &outcome {
        Ok(()) => {
            intake.resume();
            consumer.ack(&[id]).await.map(|_| ())
        }
        Err(HandlerError::Permanent(error)) => {
            tracing::error!(%stream, %id, %error, "message refused, dead-lettering");
            consumer.dead_letter_id(id, count, error).await
        }
        Err(HandlerError::Backpressure(error)) => {
            let pause = intake.pause();
            metrics::counter!("hsi_queue_backpressure_total", "stream" => M::STREAM).increment(1);
            tracing::info!(%stream, %id, %error, pause_ms = pause.as_millis() as u64,
                "downstream stream full, pausing intake; the message will be retried uncounted");
            consumer
                .postpone_id(id, count, pause, error)
                .await
                .map(|_| ())
        }
        Err(HandlerError::Retry(error)) => match consumer.fail_id(id, count, error).await {
            Ok(FailOutcome::RetryIn(delay)) => {
                tracing::warn!(%stream, %id, %error, delivery = count,
                    retry_in_ms = delay.as_millis() as u64, "message failed, will retry");
                Ok(())
            }
            Ok(FailOutcome::DeadLettered) => {
                tracing::error!(%stream, %id, %error, deliveries = count,
                    "message failed at the delivery limit, dead-lettered");
                Ok(())
            }
            Ok(FailOutcome::NotOwned) => Ok(()),
            Err(err) => Err(err),
        },
    };
    if let Err(err) = result {
        // The message stays pending and comes back after the visibility timeout; the
        // handlers' writes are idempotent, so a second run changes nothing.
        tracing::warn!(%stream, %id, error = %err, "could not settle message");
    }
}

/// Extends the leases of in-flight messages three times per visibility timeout, but not
/// past `queue.max_processing_ms`: a handler stuck beyond that (even one blocking its
/// thread, which no timeout can interrupt) lets its message go to another consumer.
async fn keep_leases<M: QueueMessage>(consumer: Arc<Consumer<M>>, in_flight: InFlightSet) {
    let period = consumer.settings().visibility_timeout() / 3;
    let limit = consumer.settings().max_processing();
    let mut ticker = tokio::time::interval(period.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let now = Instant::now();
        let (ids, overdue): (Vec<String>, Vec<String>) = in_flight
            .lock()
            .map(|ids| {
                let (fresh, old): (Vec<_>, Vec<_>) = ids
                    .iter()
                    .partition(|(_, started)| now.duration_since(**started) < limit);
                (
                    fresh.into_iter().map(|(id, _)| id.clone()).collect(),
                    old.into_iter().map(|(id, _)| id.clone()).collect(),
                )
            })
            .unwrap_or_default();
        if !overdue.is_empty() {
            tracing::warn!(stream = %consumer.keys().stream, ?overdue, "in-flight messages past queue.max_processing_ms; their leases are left to lapse");
        }
        match consumer.extend(&ids).await {
            Ok(lost) if !lost.is_empty() => {
                tracing::warn!(stream = %consumer.keys().stream, ?lost, "lost the lease of in-flight messages");
            }
            Ok(_) => {}
            Err(err) => tracing::debug!(error = %err, "could not extend leases"),
        }
    }
}

/// Publishes the stream's length, pending and dead-letter counts and its cap as gauges
/// (`hsi_queue_length`, `hsi_queue_pending`, `hsi_queue_dead_letters`,
/// `hsi_queue_max_length`) every 10 s.
async fn report_depth<M: QueueMessage>(consumer: Arc<Consumer<M>>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(10));
    loop {
        ticker.tick().await;
        match consumer.stats().await {
            Ok(stats) => {
                let stream = M::STREAM;
                metrics::gauge!("hsi_queue_length", "stream" => stream).set(stats.length as f64);
                metrics::gauge!("hsi_queue_pending", "stream" => stream).set(stats.pending as f64);
                metrics::gauge!("hsi_queue_dead_letters", "stream" => stream)
                    .set(stats.dead_letters as f64);
                // The cap producers are held to (same `queue` settings on both sides),
                // so a rule can warn before backpressure starts.
                if M::KIND == crate::StreamKind::Work {
                    metrics::gauge!("hsi_queue_max_length", "stream" => stream)
                        .set(consumer.settings().max_stream_length as f64);
                }
            }
            Err(err) => tracing::debug!(error = %err, "could not read queue figures"),
        }
    }
}
