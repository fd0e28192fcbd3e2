//! Live fan-out: one Redis pub/sub subscription per gateway replica turns the analysis
//! worker's announcements into notices for every watcher (gRPC `Watch` and
//! `/ws/events`). Every replica subscribes, so each delivers every event. A notice only
//! carries ids: watchers read the event from PostgreSQL, the record, and after a
//! reconnect they resume from there too, so nothing missed during a Redis outage is lost.

use futures::StreamExt as _;
use hsi_core::retry::Backoff;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// What a watcher hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveNotice {
    /// A new event (its id); its alerts were written with it.
    Event(i64),
    /// The subscription was re-established: announcements may have been missed, so
    /// read anything newer than the last event seen from PostgreSQL.
    Resync,
}

/// The replica's hub; cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<LiveNotice>,
}

impl LiveHub {
    pub fn new(buffer: usize) -> Self {
        let (sender, _) = broadcast::channel(buffer.max(1));
        Self { sender }
    }

    /// A receiver of every notice from now on. A receiver that falls more than the
    /// buffer behind gets `Lagged` and must resume from PostgreSQL.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveNotice> {
        self.sender.subscribe()
    }

    /// Announces a notice to this replica's watchers (what the subscription does).
    pub fn notify(&self, notice: LiveNotice) {
        // No watcher is not an error.
        let _ = self.sender.send(notice);
    }

    /// Keeps the subscription to `channel` until shutdown, reconnecting with back-off.
    pub async fn run(self, redis_url: String, channel: String, shutdown: CancellationToken) {
        let mut backoff = Backoff::default();
        let mut first = true;
        loop {
            match self
                .listen(&redis_url, &channel, &shutdown, &mut backoff, first)
                .await
            {
                Ok(()) => return,
                Err(err) => {
                    tracing::warn!(%channel, error = %err, "live subscription lost; reconnecting");
                }
            }
            first = false;
            if !backoff.wait(&shutdown).await {
                return;
            }
        }
    }

    async fn listen(
        &self,
        redis_url: &str,
        channel: &str,
        shutdown: &CancellationToken,
        backoff: &mut Backoff,
        first: bool,
    ) -> Result<(), redis::RedisError> {
        let client = redis::Client::open(redis_url)?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        backoff.reset();
        tracing::info!(%channel, "listening for new events");
        if !first {
            self.notify(LiveNotice::Resync);
        }
        let mut messages = pubsub.on_message();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                message = messages.next() => {
                    let Some(message) = message else {
                        return Err(redis::RedisError::from((
                            redis::ErrorKind::Io,
                            "subscription closed",
                        )));
                    };
                    let payload: String = message.get_payload()?;
                    match event_id_of(&payload) {
                        Some(id) => self.notify(LiveNotice::Event(id)),
                        None => tracing::warn!(%channel, "ignoring an announcement without an event id"),
                    }
                }
            }
        }
    }
}

/// The analysis worker announces `{"event_id": N, ...}`.
fn event_id_of(payload: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()?
        .get("event_id")?
        .as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_are_read_for_their_event_id() {
        assert_eq!(
            event_id_of(r#"{"event_id": 42, "camera_id": "x"}"#),
            Some(42)
        );
        assert_eq!(event_id_of(r#"{"camera_id": "x"}"#), None);
        assert_eq!(event_id_of("not json"), None);
    }
}
