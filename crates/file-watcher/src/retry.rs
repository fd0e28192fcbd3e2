//! Retrying work that fails while PostgreSQL or Redis is unavailable.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const FIRST_DELAY: Duration = Duration::from_millis(100);
const LONGEST_DELAY: Duration = Duration::from_secs(5);

/// Exponential back-off: 100 ms, doubling up to 5 s.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: FIRST_DELAY }
    }
}

impl Backoff {
    /// The delay before the next attempt; each call doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(LONGEST_DELAY);
        delay
    }

    /// Sleeps for the next delay; false when shutdown came first.
    pub async fn wait(&mut self, shutdown: &CancellationToken) -> bool {
        let delay = self.next_delay();
        tokio::select! {
            () = shutdown.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }
}

/// How a retried operation ended.
#[derive(Debug)]
pub enum Retried<T, E> {
    Done(T),
    /// Failed in a way no retry can fix.
    Failed(E),
    /// Shutdown began while it was still failing.
    Abandoned,
}

/// Runs `attempt` until it succeeds, fails permanently or shutdown begins, waiting with
/// back-off after each transient failure. `what` and `path` go into the log lines.
pub async fn retry<T, E, F, Fut>(
    shutdown: &CancellationToken,
    what: &str,
    path: &str,
    is_transient: impl Fn(&E) -> bool,
    mut attempt: F,
) -> Retried<T, E>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut backoff = Backoff::default();
    loop {
        match attempt().await {
            Ok(value) => return Retried::Done(value),
            Err(err) if is_transient(&err) => {
                let delay = backoff.next;
                tracing::warn!(%path, error = %err, retry_in_ms = delay.as_millis() as u64, "{what} failed, retrying");
                if !backoff.wait(shutdown).await {
                    return Retried::Abandoned;
                }
            }
            Err(err) => return Retried::Failed(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_five_seconds() {
        let mut backoff = Backoff::default();
        let delays: Vec<u128> = (0..9).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let shutdown = CancellationToken::new();
        let mut calls = 0;
        let outcome = retry(
            &shutdown,
            "test",
            "p",
            |_: &String| true,
            || {
                calls += 1;
                let result = if calls < 4 {
                    Err("down".to_owned())
                } else {
                    Ok(calls)
                };
                async move { result }
            },
        )
        .await;
        assert!(matches!(outcome, Retried::Done(4)));
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failures_and_shutdown_stop_the_retries() {
        let shutdown = CancellationToken::new();
        let failed = retry(
            &shutdown,
            "test",
            "p",
            |_: &String| false,
            || async { Err::<(), _>("bad".to_owned()) },
        )
        .await;
        assert!(matches!(failed, Retried::Failed(ref e) if e == "bad"));
        shutdown.cancel();
        let abandoned = retry(
            &shutdown,
            "test",
            "p",
            |_: &String| true,
            || async { Err::<(), _>("down".to_owned()) },
        )
        .await;
        assert!(matches!(abandoned, Retried::Abandoned));
    }
}
