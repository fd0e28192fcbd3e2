//! The aggregator's notion of "now" (processing time, not the detections' timestamps).

use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Wall-clock milliseconds read as a fixed origin plus Tokio's monotonic elapsed time,
/// so `tokio::time::pause()` and `advance()` move it in tests and a wall-clock step
/// (NTP) never makes a deadline jump.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin_ms: i64,
    started: Instant,
}

impl Clock {
    /// The production clock: the system time now, advancing with Tokio's clock.
    pub fn system() -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self::starting_at(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }

    /// A clock that reads `origin_ms` now (for tests).
    pub fn starting_at(origin_ms: i64) -> Self {
        Self {
            origin_ms,
            started: Instant::now(),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let elapsed = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.origin_ms.saturating_add(elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn follows_the_paused_tokio_clock() {
        let clock = Clock::starting_at(1_000_000);
        assert_eq!(clock.now_ms(), 1_000_000);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now_ms(), 1_090_000);
    }

    #[test]
    fn the_system_clock_starts_near_the_wall_clock() {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as i64;
        let clock = Clock::system();
        assert!((clock.now_ms() - wall).abs() < 5_000);
    }
}
