//! Running a handler over a consumer until shutdown.

use crate::consumer::{Consumer, Delivery, FailOutcome};
use crate::message::QueueMessage;
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Why a handler could not finish a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlerError {
    /// Worth trying again (a dependency was down, a timeout).
    Retry(String),
    /// No retry can help (the input itself is bad): dead-letter it now.
    Permanent(String),
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

/// Removes a message from the in-flight set however its task ends (even by panic).
struct InFlight {
    ids: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut ids) = self.ids.lock() {
            ids.remove(&self.id);
        }
    }
}

/// Receives messages and runs `handler` on each, up to `concurrency` at once, until
/// `shutdown` is cancelled; then stops receiving and waits for in-flight messages to be
/// settled. A success acknowledges the message; a failure retries it with back-off or,
/// at the delivery limit or for a [`HandlerError::Permanent`], dead-letters it. While
/// Redis is unreachable the loop waits and retries with back-off; it never gives up.
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
    let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
    let handler = Arc::new(handler);
    let leases = tokio::spawn(keep_leases(consumer.clone(), in_flight.clone()));
    let gauges = tokio::spawn(report_depth(consumer.clone()));
    let stream = consumer.keys().stream.clone();
    let mut backoff = Duration::from_millis(100);

    while !shutdown.is_cancelled() {
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
                backoff = Duration::from_millis(100);
                for delivery in deliveries {
                    let Some(permit) = held.pop() else { break };
                    let guard = InFlight {
                        ids: in_flight.clone(),
                        id: delivery.id.clone(),
                    };
                    if let Ok(mut ids) = in_flight.lock() {
                        ids.insert(delivery.id.clone());
                    }
                    let consumer = consumer.clone();
                    let handler = handler.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        let _guard = guard;
                        let (id, count) = (delivery.id.clone(), delivery.delivery_count);
                        let outcome = handler(delivery).await;
                        settle(&consumer, &id, count, outcome).await;
                    });
                }
            }
            Err(err) => {
                tracing::warn!(%stream, error = %err, retry_in_ms = backoff.as_millis() as u64, "queue unavailable, retrying");
                drop(held);
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(options.max_backoff);
            }
        }
    }

    tracing::info!(%stream, "draining in-flight messages");
    let _all = permits.acquire_many(concurrency as u32).await;
    leases.abort();
    gauges.abort();
    tracing::info!(%stream, "consumer stopped");
}

async fn settle<M: QueueMessage>(
    consumer: &Consumer<M>,
    id: &str,
    count: u32,
    outcome: Result<(), HandlerError>,
) {
    let stream = &consumer.keys().stream;
    let result = match &outcome {
        Ok(()) => consumer.ack(&[id]).await.map(|_| ()),
        Err(HandlerError::Permanent(error)) => {
            tracing::error!(%stream, %id, %error, "message refused, dead-lettering");
            consumer.dead_letter_id(id, count, error).await
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

/// Extends the leases of in-flight messages three times per visibility timeout.
async fn keep_leases<M: QueueMessage>(
    consumer: Arc<Consumer<M>>,
    in_flight: Arc<Mutex<HashSet<String>>>,
) {
    let period = consumer.settings().visibility_timeout() / 3;
    let mut ticker = tokio::time::interval(period.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let ids: Vec<String> = in_flight
            .lock()
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        match consumer.extend(&ids).await {
            Ok(lost) if !lost.is_empty() => {
                tracing::warn!(stream = %consumer.keys().stream, ?lost, "lost the lease of in-flight messages");
            }
            Ok(_) => {}
            Err(err) => tracing::debug!(error = %err, "could not extend leases"),
        }
    }
}

/// Publishes the stream's length, pending and dead-letter counts as gauges
/// (`hsi_queue_length`, `hsi_queue_pending`, `hsi_queue_dead_letters`) every 10 s.
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
            }
            Err(err) => tracing::debug!(error = %err, "could not read queue figures"),
        }
    }
}
