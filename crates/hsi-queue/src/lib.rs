//! Typed queues of protobuf messages on Redis Streams.
//!
//! - [`Producer`] adds messages. A work stream refuses with [`QueueError::Backpressure`]
//!   when it already holds its maximum of unfinished messages; an announce stream
//!   ([`StreamKind::Announce`]) is trimmed by length and age instead and never refuses.
//! - [`Consumer`] reads through a consumer group (`XREADGROUP`), reclaims messages a
//!   dead consumer left pending past the visibility timeout (`XAUTOCLAIM`), keeps the
//!   leases of messages it is still working on, retries failures with back-off, and
//!   moves a message that failed too often to the dead-letter stream with its error.
//! - [`consume`] runs a handler over a consumer until shutdown, draining in-flight work
//!   within a deadline, cutting short a handler that runs past its deadline, pausing
//!   while downstream streams are full (without counting that against the message),
//!   and riding out Redis outages with back-off.
//!
//! Acknowledged entries are deleted from the stream, so a stream's length is the work
//! not yet finished, which is what backpressure and the depth metrics are about. It
//! follows that a stream has one consumer group (the service that consumes it, however
//! many replicas it runs): a second group would miss entries the first one finished.
//! Fan-out to several readers goes through pub/sub (the analysis worker announces every
//! event on a channel as well as on the events stream).

mod consumer;
mod dead_letters;
mod error;
mod keys;
mod message;
mod producer;
mod scripts;
mod settings;
mod stats;
pub mod trace;
mod worker;

pub use consumer::{Consumer, Delivery, FailOutcome};
pub use dead_letters::Requeued;
pub use error::QueueError;
pub use keys::StreamKeys;
pub use message::{QueueMessage, StreamKind};
pub use producer::Producer;
pub use settings::QueueSettings;
pub use stats::{queue_stats, DeadLetter, QueueStats};
pub use worker::{consume, ConsumeOptions, HandlerError};

use hsi_core::settings::RedisSettings;
use std::time::Duration;

/// A connection pool for the queues (and anything else a service keeps in Redis).
pub type RedisPool = deadpool_redis::Pool;

/// Builds a pool from settings; connections are opened lazily, so this succeeds even
/// while Redis is down.
pub fn redis_pool(settings: &RedisSettings) -> Result<RedisPool, QueueError> {
    // Commands answer in microseconds; a few seconds means Redis is in trouble. Blocking
    // reads raise the limit on their own connection (see `Consumer::receive`).
    let connection = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    let manager = deadpool_redis::Manager::new_with_config(settings.url.expose(), connection)
        .map_err(|err| QueueError::Config(format!("redis.url: {err}")))?;
    deadpool_redis::Pool::builder(manager)
        .max_size(settings.pool_size)
        .runtime(deadpool_redis::Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(3)))
        .build()
        .map_err(|err| QueueError::Config(err.to_string()))
}

/// A consumer name unique to this process: `<service>-<host>-<pid>-<random>`, so replicas
/// on one host, and a restarted process, never share pending messages by accident.
pub fn consumer_name(service: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{service}-{host}-{}-{}", std::process::id(), &random[..6])
}
