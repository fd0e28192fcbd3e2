//! Adding messages to a stream, refusing when it is full.

use crate::keys::StreamKeys;
use crate::message::{QueueMessage, StreamKind};
use crate::scripts::{ADD_IF_ROOM, ADD_TRIMMED};
use crate::{trace, QueueError, QueueSettings, RedisPool};
use std::marker::PhantomData;

/// Adds messages of type `M` to their stream.
#[derive(Debug)]
pub struct Producer<M> {
    pool: RedisPool,
    keys: StreamKeys,
    max_length: u64,
    /// Announce streams only: how long entries are kept (0: by length only).
    max_age_ms: u64,
    producer: String,
    _message: PhantomData<fn(M)>,
}

impl<M> Clone for Producer<M> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            keys: self.keys.clone(),
            max_length: self.max_length,
            max_age_ms: self.max_age_ms,
            producer: self.producer.clone(),
            _message: PhantomData,
        }
    }
}

impl<M: QueueMessage> Producer<M> {
    /// A producer named `producer` (the service) for keys under `prefix`.
    pub fn new(pool: RedisPool, prefix: &str, settings: &QueueSettings, producer: &str) -> Self {
        let (max_length, max_age_ms) = match M::KIND {
            StreamKind::Work => (settings.max_stream_length, 0),
            StreamKind::Announce => (
                settings.announce_max_length,
                settings.announce_max_age_secs.saturating_mul(1000),
            ),
        };
        Self {
            pool,
            keys: StreamKeys::new(prefix, M::STREAM),
            max_length,
            max_age_ms,
            producer: producer.to_owned(),
            _message: PhantomData,
        }
    }

    pub fn keys(&self) -> &StreamKeys {
        &self.keys
    }

    /// Stamps the message's metadata (a message id and a trace if it has none: the
    /// current span's, see [`trace`], the enqueue time, the producer) and adds it;
    /// returns the stream entry id.
    pub async fn publish(&self, mut message: M) -> Result<String, QueueError> {
        let mut meta = message.meta().cloned().unwrap_or_default();
        if meta.message_id.is_empty() {
            meta.message_id = uuid::Uuid::now_v7().to_string();
        }
        if meta.trace.is_none() {
            meta.trace = Some(trace::inject_current().unwrap_or_else(trace::new_root));
        }
        meta.enqueued_at_ms = now_ms();
        meta.producer.clone_from(&self.producer);
        message.set_meta(meta);

        let payload = message.encode_to_vec();
        let mut conn = self.pool.get().await?;
        if M::KIND == StreamKind::Announce {
            let oldest_kept = match self.max_age_ms {
                0 => "0".to_owned(),
                age => format!("{}-0", now_ms().saturating_sub(age as i64).max(1)),
            };
            let id: String = ADD_TRIMMED
                .key(&self.keys.stream)
                .arg(self.max_length)
                .arg(oldest_kept)
                .arg("payload")
                .arg(payload)
                .arg("type")
                .arg(M::STREAM)
                .invoke_async(&mut *conn)
                .await?;
            return Ok(id);
        }
        let reply: Vec<String> = ADD_IF_ROOM
            .key(&self.keys.stream)
            .arg(self.max_length)
            .arg("payload")
            .arg(payload)
            .arg("type")
            .arg(M::STREAM)
            .invoke_async(&mut *conn)
            .await?;
        match reply.as_slice() {
            [status, id] if status == "ok" => Ok(id.clone()),
            [status, length] if status == "full" => Err(QueueError::Backpressure {
                stream: self.keys.stream.clone(),
                length: length.parse().unwrap_or(self.max_length),
                limit: self.max_length,
            }),
            other => Err(QueueError::Config(format!(
                "unexpected reply from add script: {other:?}"
            ))),
        }
    }

    /// For each stream entry id, whether the entry is still on the stream (waiting, or
    /// delivered and not yet acknowledged). An entry that is gone was finished, moved to
    /// the dead letters, or lost with Redis: the caller's records tell which.
    pub async fn still_queued(&self, entry_ids: &[String]) -> Result<Vec<bool>, QueueError> {
        if entry_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get().await?;
        let mut pipe = redis::pipe();
        for id in entry_ids {
            pipe.cmd("XRANGE")
                .arg(&self.keys.stream)
                .arg(id)
                .arg(id)
                .arg("COUNT")
                .arg(1);
        }
        let found: Vec<redis::streams::StreamRangeReply> = pipe.query_async(&mut *conn).await?;
        Ok(found
            .into_iter()
            .map(|reply| !reply.ids.is_empty())
            .collect())
    }
}

pub(crate) fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
