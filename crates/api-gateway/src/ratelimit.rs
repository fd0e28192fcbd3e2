//! Sliding-window rate limits kept in Redis, so every replica counts the same calls.

use crate::error::{ApiError, ApiResult};
use crate::settings::RateLimitSettings;
use hsi_queue::RedisPool;
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

/// One sorted set per subject holds the times of its calls in the window. The time is
/// Redis's own, so replicas with skewed clocks agree. Answers 0 when the call may go
/// ahead, else the milliseconds until the oldest call leaves the window.
/// KEYS: the subject's set. ARGV: window ms, limit, a unique member.
static SLIDING_WINDOW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local window = tonumber(ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
            redis.call('ZADD', KEYS[1], now, ARGV[3])
            redis.call('PEXPIRE', KEYS[1], window)
            return 0
        end
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return math.max(1, tonumber(oldest[2]) + window - now)
        ",
    )
});

/// The limiter; `check_*` answer `resource_exhausted` with a retry-after when over.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    redis: RedisPool,
    prefix: String,
    settings: RateLimitSettings,
}

impl RateLimiter {
    pub fn new(redis: RedisPool, key_prefix: &str, settings: RateLimitSettings) -> Self {
        Self {
            redis,
            prefix: format!("{key_prefix}ratelimit:"),
            settings,
        }
    }

    /// Counts a call from a client address (made with or without a valid key).
    pub async fn check_address(&self, address: &str) -> ApiResult<()> {
        self.check(&format!("addr:{address}"), self.settings.per_address)
            .await
    }

    /// Counts a call made with a key.
    pub async fn check_key(&self, key_id: i32) -> ApiResult<()> {
        self.check(&format!("key:{key_id}"), self.settings.per_key)
            .await
    }

    async fn check(&self, subject: &str, limit: u64) -> ApiResult<()> {
        if !self.settings.enabled {
            return Ok(());
        }
        let key = format!("{}{subject}", self.prefix);
        let counted: Result<u64, String> = async {
            let mut conn = self.redis.get().await.map_err(|err| err.to_string())?;
            SLIDING_WINDOW
                .key(&key)
                .arg(self.settings.window_ms)
                .arg(limit)
                .arg(uuid::Uuid::new_v4().to_string())
                .invoke_async(&mut *conn)
                .await
                .map_err(|err| err.to_string())
        }
        .await;
        match counted {
            Ok(0) => Ok(()),
            Ok(wait_ms) => {
                metrics::counter!("hsi_gateway_rate_limited_total").increment(1);
                Err(ApiError::rate_limited(Duration::from_millis(wait_ms)))
            }
            Err(err) => {
                // Without Redis nobody is counted: reading what the cameras saw matters
                // more than the limit while Redis comes back.
                tracing::warn!(error = %err, "rate limit not checked: redis unavailable");
                Ok(())
            }
        }
    }
}
