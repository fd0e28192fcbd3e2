//! Depth, pending and dead-letter figures for metrics and health checks.

use crate::keys::StreamKeys;
use crate::{QueueError, RedisPool};
use redis::streams::{StreamPendingReply, StreamRangeReply};
use redis::Value;

/// The state of one queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Unfinished messages: not yet delivered, or delivered and not yet acknowledged.
    pub length: u64,
    /// Delivered to a consumer and not yet acknowledged.
    pub pending: u64,
    /// Messages given up on.
    pub dead_letters: u64,
    /// Consumers of the group holding at least one pending message.
    pub busy_consumers: u64,
}

/// Reads the figures of stream `name` for consumer group `group`.
pub async fn queue_stats(
    pool: &RedisPool,
    prefix: &str,
    name: &str,
    group: &str,
) -> Result<QueueStats, QueueError> {
    stats_of(pool, &StreamKeys::new(prefix, name), group).await
}

pub(crate) async fn stats_of(
    pool: &RedisPool,
    keys: &StreamKeys,
    group: &str,
) -> Result<QueueStats, QueueError> {
    let mut conn = pool.get().await?;
    let (length, dead_letters): (u64, u64) = redis::pipe()
        .cmd("XLEN")
        .arg(&keys.stream)
        .cmd("XLEN")
        .arg(&keys.dead_letters)
        .query_async(&mut *conn)
        .await?;
    let pending: Result<StreamPendingReply, redis::RedisError> = redis::cmd("XPENDING")
        .arg(&keys.stream)
        .arg(group)
        .query_async(&mut *conn)
        .await;
    let (pending, busy_consumers) = match pending {
        Ok(StreamPendingReply::Data(data)) => (data.count as u64, data.consumers.len() as u64),
        Ok(_) => (0, 0),
        // No group yet: nobody has consumed anything.
        Err(err) if err.code() == Some("NOGROUP") => (0, 0),
        Err(err) => return Err(err.into()),
    };
    Ok(QueueStats {
        length,
        pending,
        dead_letters,
        busy_consumers,
    })
}

/// A message given up on, as stored in the dead-letter stream.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: String,
    /// Its entry id in the original stream.
    pub source_id: String,
    pub error: String,
    pub deliveries: u32,
    pub consumer: String,
    pub payload: Vec<u8>,
    /// The stream name the message was produced for (its `type` field).
    pub kind: String,
    /// When it was given up on (ms since the epoch; 0 when not recorded).
    pub failed_at_ms: i64,
}

impl DeadLetter {
    /// The oldest `count` dead letters of stream `name`.
    pub async fn list(
        pool: &RedisPool,
        prefix: &str,
        name: &str,
        count: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let keys = StreamKeys::new(prefix, name);
        let mut conn = pool.get().await?;
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(&keys.dead_letters)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut *conn)
            .await?;
        Ok(reply.ids.into_iter().map(DeadLetter::from_entry).collect())
    }

    /// Reads a dead-letter stream entry (fields as the dead-letter script writes them).
    pub(crate) fn from_entry(entry: redis::streams::StreamId) -> DeadLetter {
        let text = |field: &str| match entry.map.get(field) {
            Some(Value::BulkString(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        };
        let payload = match entry.map.get("payload") {
            Some(Value::BulkString(bytes)) => bytes.clone(),
            _ => Vec::new(),
        };
        DeadLetter {
            source_id: text("source_id"),
            error: text("error"),
            deliveries: text("deliveries").parse().unwrap_or(0),
            consumer: text("consumer"),
            kind: text("type"),
            failed_at_ms: text("failed_at_ms").parse().unwrap_or(0),
            payload,
            id: entry.id,
        }
    }
}
