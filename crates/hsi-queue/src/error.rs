//! Queue errors.

/// What can go wrong talking to a queue.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("stream {stream} is full ({length} unfinished messages, limit {limit}); retry later")]
    Backpressure {
        stream: String,
        length: u64,
        limit: u64,
    },
    #[error("redis unavailable: {0}")]
    Pool(#[from] deadpool_redis::PoolError),
    #[error("redis command failed: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("bad queue configuration: {0}")]
    Config(String),
}

impl QueueError {
    /// True for errors that go away when Redis comes back (worth retrying).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Pool(_) | Self::Backpressure { .. } => true,
            Self::Redis(err) => {
                err.is_io_error()
                    || err.is_connection_dropped()
                    || err.is_connection_refusal()
                    || err.is_timeout()
                    || err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading)
            }
            Self::Config(_) => false,
        }
    }
}
