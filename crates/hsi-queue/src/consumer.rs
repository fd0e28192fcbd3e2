//! Reading a stream through a consumer group.

use crate::keys::StreamKeys;
use crate::message::QueueMessage;
use crate::producer::now_ms;
use crate::scripts::{ACK, DEAD_LETTER, EXTEND, RETRY_LATER};
use crate::{QueueError, QueueSettings, RedisPool};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamPendingCountReply, StreamReadReply};
use redis::Value;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// One message handed to this consumer.
#[derive(Debug, Clone)]
pub struct Delivery<M> {
    /// The stream entry id, used to acknowledge it.
    pub id: String,
    pub message: M,
    /// How many times the message has been delivered, this time included.
    pub delivery_count: u32,
}

/// A member of a consumer group on the stream of `M`.
#[derive(Debug)]
pub struct Consumer<M> {
    pool: RedisPool,
    keys: StreamKeys,
    group: String,
    name: String,
    settings: QueueSettings,
    group_ready: AtomicBool,
    reclaim_cursor: Mutex<String>,
    _message: PhantomData<fn() -> M>,
}

impl<M: QueueMessage> Consumer<M> {
    /// Consumer `name` of `group`; the group is created on first use.
    pub fn new(
        pool: RedisPool,
        prefix: &str,
        group: &str,
        name: &str,
        settings: &QueueSettings,
    ) -> Self {
        Self {
            pool,
            keys: StreamKeys::new(prefix, M::STREAM),
            group: group.to_owned(),
            name: name.to_owned(),
            settings: settings.clone(),
            group_ready: AtomicBool::new(false),
            reclaim_cursor: Mutex::new("0-0".to_owned()),
            _message: PhantomData,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn keys(&self) -> &StreamKeys {
        &self.keys
    }

    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    /// The figures of this consumer's stream and group.
    pub async fn stats(&self) -> Result<crate::QueueStats, QueueError> {
        crate::stats::stats_of(&self.pool, &self.keys, &self.group).await
    }

    async fn ensure_group(&self, conn: &mut deadpool_redis::Connection) -> Result<(), QueueError> {
        if self.group_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        // From id 0, so messages produced before any consumer existed are read too.
        let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.keys.stream)
            .arg(&self.group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut **conn)
            .await;
        match created {
            Ok(()) => {}
            Err(err) if err.code() == Some("BUSYGROUP") => {}
            Err(err) => return Err(err.into()),
        }
        self.group_ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Up to `max` messages: first any abandoned by a dead consumer (idle past the
    /// visibility timeout), else new ones, waiting up to `block_ms` for them.
    pub async fn receive(&self, max: usize) -> Result<Vec<Delivery<M>>, QueueError> {
        let max = max.max(1);
        let mut conn = self.pool.get().await?;
        self.ensure_group(&mut conn).await?;
        let received = match self.reclaim(&mut conn, max).await {
            Ok(reclaimed) if !reclaimed.is_empty() => Ok(reclaimed),
            Ok(_) => self.read_new(&mut conn, max).await,
            Err(err) => Err(err),
        };
        match received {
            // Redis lost the group (a restart without persistence): recreate and go on.
            Err(QueueError::Redis(err)) if err.code() == Some("NOGROUP") => {
                tracing::warn!(stream = %self.keys.stream, group = %self.group, "consumer group missing, recreating it");
                self.group_ready.store(false, Ordering::Release);
                if let Ok(mut cursor) = self.reclaim_cursor.lock() {
                    *cursor = "0-0".to_owned();
                }
                self.ensure_group(&mut conn).await?;
                Ok(Vec::new())
            }
            other => other,
        }
    }

    async fn read_new(
        &self,
        conn: &mut deadpool_redis::Connection,
        max: usize,
    ) -> Result<Vec<Delivery<M>>, QueueError> {
        conn.set_response_timeout(Duration::from_millis(self.settings.block_ms + 5_000));
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.group)
            .arg(&self.name)
            .arg("COUNT")
            .arg(max)
            .arg("BLOCK")
            .arg(self.settings.block_ms)
            .arg("STREAMS")
            .arg(&self.keys.stream)
            .arg(">")
            .query_async(&mut **conn)
            .await?;
        let entries = reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids);
        let mut deliveries = Vec::new();
        for entry in entries {
            if let Some(delivery) = self.decode_or_bury(conn, entry, 1).await? {
                deliveries.push(delivery);
            }
        }
        Ok(deliveries)
    }

    /// Claims messages idle past the visibility timeout; those already delivered the
    /// maximum number of times go to the dead letters instead of being retried again.
    async fn reclaim(
        &self,
        conn: &mut deadpool_redis::Connection,
        max: usize,
    ) -> Result<Vec<Delivery<M>>, QueueError> {
        let cursor = self
            .reclaim_cursor
            .lock()
            .map(|c| c.clone())
            .unwrap_or_else(|_| "0-0".into());
        let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(&self.keys.stream)
            .arg(&self.group)
            .arg(&self.name)
            .arg(self.settings.visibility_timeout_ms)
            .arg(&cursor)
            .arg("COUNT")
            .arg(max)
            .query_async(&mut **conn)
            .await?;
        if let Ok(mut saved) = self.reclaim_cursor.lock() {
            saved.clone_from(&reply.next_stream_id);
        }
        let mut deliveries = Vec::new();
        for entry in reply.claimed {
            let count = self.delivery_count(conn, &entry.id).await?;
            // The claim itself counted as a delivery; the ones before it were attempts.
            let attempts = count.saturating_sub(1);
            if attempts >= self.settings.max_deliveries {
                tracing::warn!(stream = %self.keys.stream, id = %entry.id, attempts, "message abandoned too often, dead-lettering");
                let note = format!("abandoned without acknowledgement {attempts} times");
                self.bury(conn, &entry.id, &note, attempts, true).await?;
                continue;
            }
            tracing::info!(stream = %self.keys.stream, id = %entry.id, delivery = count, "reclaimed an abandoned message");
            if let Some(delivery) = self.decode_or_bury(conn, entry, count).await? {
                deliveries.push(delivery);
            }
        }
        Ok(deliveries)
    }

    async fn delivery_count(
        &self,
        conn: &mut deadpool_redis::Connection,
        id: &str,
    ) -> Result<u32, QueueError> {
        let pending: StreamPendingCountReply = redis::cmd("XPENDING")
            .arg(&self.keys.stream)
            .arg(&self.group)
            .arg(id)
            .arg(id)
            .arg(1)
            .query_async(&mut **conn)
            .await?;
        Ok(pending
            .ids
            .first()
            .map_or(1, |p| u32::try_from(p.times_delivered).unwrap_or(u32::MAX)))
    }

    async fn decode_or_bury(
        &self,
        conn: &mut deadpool_redis::Connection,
        entry: StreamId,
        delivery_count: u32,
    ) -> Result<Option<Delivery<M>>, QueueError> {
        let decoded = match entry.map.get("payload") {
            Some(Value::BulkString(bytes)) => {
                M::decode(bytes.as_slice()).map_err(|err| err.to_string())
            }
            Some(other) => Err(format!("payload is not a byte string: {other:?}")),
            None => Err("entry has no payload field".to_owned()),
        };
        match decoded {
            Ok(message) => Ok(Some(Delivery {
                id: entry.id,
                message,
                delivery_count,
            })),
            Err(reason) => {
                // Retrying cannot fix a payload that does not decode.
                tracing::error!(stream = %self.keys.stream, id = %entry.id, %reason, "undecodable message, dead-lettering");
                let note = format!("undecodable {} payload: {reason}", M::STREAM);
                self.bury(conn, &entry.id, &note, delivery_count, false)
                    .await?;
                Ok(None)
            }
        }
    }

    async fn bury(
        &self,
        conn: &mut deadpool_redis::Connection,
        id: &str,
        error: &str,
        deliveries: u32,
        append_recorded: bool,
    ) -> Result<(), QueueError> {
        let mut note = error.to_owned();
        if append_recorded {
            let recorded: Option<String> = redis::cmd("HGET")
                .arg(&self.keys.errors)
                .arg(id)
                .query_async(&mut **conn)
                .await?;
            if let Some(recorded) = recorded {
                note = format!("{recorded} ({error})");
            }
        }
        let _: i64 = DEAD_LETTER
            .key(&self.keys.stream)
            .key(&self.keys.dead_letters)
            .key(&self.keys.errors)
            .arg(&self.group)
            .arg(id)
            .arg(note)
            .arg(deliveries)
            .arg(self.settings.max_dead_letters)
            .arg(&self.name)
            .arg(now_ms())
            .invoke_async(&mut **conn)
            .await?;
        Ok(())
    }

    /// Acknowledges (and deletes) finished messages.
    pub async fn ack(&self, ids: &[&str]) -> Result<u64, QueueError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut conn = self.pool.get().await?;
        let mut script = ACK.key(&self.keys.stream);
        script.key(&self.keys.errors).arg(&self.group);
        for id in ids {
            script.arg(*id);
        }
        Ok(script.invoke_async(&mut *conn).await?)
    }

    /// Records why a delivery failed. Below the delivery limit the message is retried
    /// after a back-off (doubling per delivery, at most the visibility timeout);
    /// at the limit it goes to the dead-letter stream with this error.
    pub async fn fail(
        &self,
        delivery: &Delivery<M>,
        error: &str,
    ) -> Result<FailOutcome, QueueError> {
        self.fail_id(&delivery.id, delivery.delivery_count, error)
            .await
    }

    /// [`Consumer::fail`] by entry id and delivery count.
    pub async fn fail_id(
        &self,
        id: &str,
        delivery_count: u32,
        error: &str,
    ) -> Result<FailOutcome, QueueError> {
        if delivery_count >= self.settings.max_deliveries {
            return self
                .dead_letter_id(id, delivery_count, error)
                .await
                .map(|()| FailOutcome::DeadLettered);
        }
        let delay = self.settings.retry_backoff().delay_for(delivery_count);
        self.retry_later(id, delay, error, delivery_count).await
    }

    /// Puts a message back for later without counting this delivery against the
    /// delivery limit: the handler could not finish because a stream it writes to is
    /// full, which says nothing about the message itself.
    pub async fn postpone_id(
        &self,
        id: &str,
        delivery_count: u32,
        delay: Duration,
        reason: &str,
    ) -> Result<FailOutcome, QueueError> {
        let delay = delay.min(self.settings.visibility_timeout());
        self.retry_later(id, delay, reason, delivery_count.saturating_sub(1))
            .await
    }

    async fn retry_later(
        &self,
        id: &str,
        delay: Duration,
        error: &str,
        keep_count: u32,
    ) -> Result<FailOutcome, QueueError> {
        let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        let idle = self
            .settings
            .visibility_timeout_ms
            .saturating_sub(delay_ms.min(self.settings.visibility_timeout_ms));
        let mut conn = self.pool.get().await?;
        let owned: i64 = RETRY_LATER
            .key(&self.keys.stream)
            .key(&self.keys.errors)
            .arg(&self.group)
            .arg(&self.name)
            .arg(id)
            .arg(idle)
            .arg(error)
            .arg(keep_count)
            .invoke_async(&mut *conn)
            .await?;
        Ok(if owned == 1 {
            FailOutcome::RetryIn(delay)
        } else {
            FailOutcome::NotOwned
        })
    }

    /// Moves a message to the dead-letter stream at once (for errors no retry can fix).
    pub async fn dead_letter(&self, delivery: &Delivery<M>, error: &str) -> Result<(), QueueError> {
        self.dead_letter_id(&delivery.id, delivery.delivery_count, error)
            .await
    }

    /// [`Consumer::dead_letter`] by entry id and delivery count.
    pub async fn dead_letter_id(
        &self,
        id: &str,
        delivery_count: u32,
        error: &str,
    ) -> Result<(), QueueError> {
        let mut conn = self.pool.get().await?;
        self.bury(&mut conn, id, error, delivery_count, false).await
    }

    /// Keeps the leases of messages still being worked on; returns those this consumer
    /// no longer owns (another consumer reclaimed them after a stall).
    pub async fn extend(&self, ids: &[String]) -> Result<Vec<String>, QueueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get().await?;
        let mut script = EXTEND.key(&self.keys.stream);
        script.arg(&self.group).arg(&self.name);
        for id in ids {
            script.arg(id);
        }
        Ok(script.invoke_async(&mut *conn).await?)
    }
}

/// What happened to a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// It will be delivered again after this delay.
    RetryIn(Duration),
    /// It reached the delivery limit and is in the dead-letter stream.
    DeadLettered,
    /// Another consumer had already reclaimed it; nothing was changed.
    NotOwned,
}
