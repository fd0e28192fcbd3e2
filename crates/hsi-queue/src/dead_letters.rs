//! Looking up dead letters one by one and putting them back on their work stream, for
//! an operator who fixed what made them fail.

use crate::keys::StreamKeys;
use crate::scripts::{REQUEUE, REQUEUE_OLDEST};
use crate::{DeadLetter, QueueError, RedisPool};
use redis::streams::StreamRangeReply;

/// Dead letters moved per script call by [`DeadLetter::requeue_all`], so Redis is never
/// blocked for long.
const REQUEUE_CHUNK: usize = 100;

/// What [`DeadLetter::requeue`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requeued {
    /// Every dead letter asked for is back on the stream; their new entry ids, in order.
    Done(Vec<String>),
    /// This id is not a dead letter of the stream; nothing was moved.
    Missing(String),
}

impl DeadLetter {
    /// Dead letter `id` of stream `name`, if there is one.
    pub async fn get(
        pool: &RedisPool,
        prefix: &str,
        name: &str,
        id: &str,
    ) -> Result<Option<DeadLetter>, QueueError> {
        let keys = StreamKeys::new(prefix, name);
        let mut conn = pool.get().await?;
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(&keys.dead_letters)
            .arg(id)
            .arg(id)
            .arg("COUNT")
            .arg(1)
            .query_async(&mut *conn)
            .await?;
        Ok(reply.ids.into_iter().next().map(DeadLetter::from_entry))
    }

    /// Up to `count` dead letters of stream `name`, oldest first, starting after entry
    /// `after` (from the oldest when `None`): a page of [`DeadLetter::list`].
    pub async fn list_after(
        pool: &RedisPool,
        prefix: &str,
        name: &str,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let keys = StreamKeys::new(prefix, name);
        let start = after.map_or_else(|| "-".to_owned(), |id| format!("({id}"));
        let mut conn = pool.get().await?;
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(&keys.dead_letters)
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut *conn)
            .await?;
        Ok(reply.ids.into_iter().map(DeadLetter::from_entry).collect())
    }

    /// Puts dead letters `ids` of stream `name` back on the stream as new entries (so
    /// their delivery count starts again; an id named twice moves once) and removes them from the dead letters,
    /// atomically: when any id is unknown, nothing moves. The stream's length limit is
    /// not applied: an operator asked for these.
    pub async fn requeue(
        pool: &RedisPool,
        prefix: &str,
        name: &str,
        ids: &[String],
    ) -> Result<Requeued, QueueError> {
        if ids.is_empty() {
            return Ok(Requeued::Done(Vec::new()));
        }
        let keys = StreamKeys::new(prefix, name);
        let mut conn = pool.get().await?;
        let mut script = REQUEUE.key(&keys.stream);
        script.key(&keys.dead_letters);
        // An id named twice is put back once.
        let mut seen = std::collections::HashSet::new();
        for id in ids.iter().filter(|id| seen.insert(id.as_str())) {
            script.arg(id);
        }
        let reply: Vec<String> = script.invoke_async(&mut *conn).await?;
        match reply.split_first() {
            Some((status, added)) if status == "ok" => Ok(Requeued::Done(added.to_vec())),
            Some((status, [id])) if status == "missing" => Ok(Requeued::Missing(id.clone())),
            _ => Err(QueueError::Config(format!(
                "unexpected reply from requeue script: {reply:?}"
            ))),
        }
    }

    /// Puts every dead letter of stream `name` back on the stream, oldest first, and
    /// answers how many. Letters that die again meanwhile are left dead. Each letter
    /// moves atomically; a failure part-way leaves the rest dead.
    pub async fn requeue_all(
        pool: &RedisPool,
        prefix: &str,
        name: &str,
    ) -> Result<u64, QueueError> {
        let keys = StreamKeys::new(prefix, name);
        let mut conn = pool.get().await?;
        let newest: StreamRangeReply = redis::cmd("XREVRANGE")
            .arg(&keys.dead_letters)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut *conn)
            .await?;
        let Some(last) = newest.ids.into_iter().next().map(|entry| entry.id) else {
            return Ok(0);
        };
        let mut moved = 0_u64;
        loop {
            let count: u64 = REQUEUE_OLDEST
                .key(&keys.stream)
                .key(&keys.dead_letters)
                .arg(&last)
                .arg(REQUEUE_CHUNK)
                .invoke_async(&mut *conn)
                .await?;
            moved += count;
            if count < REQUEUE_CHUNK as u64 {
                return Ok(moved);
            }
        }
    }
}
