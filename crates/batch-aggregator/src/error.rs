//! What can go wrong in the aggregator.

use hsi_queue::QueueError;

/// Why an operation of the aggregator failed, or the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("redis unavailable: {0}")]
    Pool(#[from] deadpool_redis::PoolError),
    #[error("redis command failed: {0}")]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("database failed: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("batch {id} in redis is malformed: {problem}")]
    Malformed { id: String, problem: String },
}
