//! The one way HSI waits between attempts: exponential back-off with a cap, a retry loop
//! that stops at shutdown, and a deadline helper. Every service and library uses these
//! (queue redeliveries, reconnects, webhook and LLM retries, database writes), so a fix
//! to how HSI retries lands once.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Exponential back-off: `first`, then doubling per attempt, never above `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Default for Backoff {
    /// 100 ms doubling up to 5 s: reconnecting to PostgreSQL or Redis.
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(5))
    }
}

impl Backoff {
    /// Back-off starting at `first` and capped at `max` (`max` is raised to `first`).
    pub fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max: max.max(first),
            next: first,
        }
    }

    /// The delay before attempt `attempt` (1-based) without keeping state: the delay a
    /// stateless caller (a queue redelivery, an outbox row) computes from a stored count.
    pub fn delay_for(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        self.first.saturating_mul(1u32 << shift).min(self.max)
    }

    /// The delay before the next attempt; each call doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        delay
    }

    /// Starts again from the first delay (after a success).
    pub fn reset(&mut self) {
        self.next = self.first;
    }

    /// Sleeps for the next delay; false when `shutdown` came first.
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

/// Runs `attempt` until it succeeds, fails permanently (`is_transient` says no) or
/// `shutdown` begins, waiting with `backoff` after each transient failure. `what` and
/// `subject` (a path, an id) go into the log line of each failure.
pub async fn retry<T, E, F, Fut>(
    shutdown: &CancellationToken,
    mut backoff: Backoff,
    what: &str,
    subject: &str,
    is_transient: impl Fn(&E) -> bool,
    mut attempt: F,
) -> Retried<T, E>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    loop {
        match attempt().await {
            Ok(value) => return Retried::Done(value),
            Err(err) if is_transient(&err) => {
                let delay = backoff.next;
                tracing::warn!(%subject, error = %err, retry_in_ms = delay.as_millis() as u64, "{what} failed, retrying");
                if !backoff.wait(shutdown).await {
                    return Retried::Abandoned;
                }
            }
            Err(err) => return Retried::Failed(err),
        }
    }
}

/// Runs `pass` now and then every `every` until `shutdown`; after a failed pass the next
/// one comes sooner and backs off (from a second, up to `every`) while it keeps failing.
/// `what` names the pass in the log line of a failure. For sweeps that find and redo
/// unfinished work.
pub async fn every<E, F, Fut>(
    what: &str,
    every: Duration,
    shutdown: &CancellationToken,
    mut pass: F,
) where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let mut failures = Backoff::new(Duration::from_secs(1), every);
    loop {
        let pause = match pass().await {
            Ok(()) => {
                failures.reset();
                every
            }
            Err(err) => {
                let delay = failures.next_delay();
                tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "{what} failed");
                delay
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Runs `work` for at most `limit`; `None` when the deadline passed first (the work is
/// dropped, which cancels whatever it was awaiting).
pub async fn within<T>(limit: Duration, work: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(limit, work).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let mut backoff = Backoff::default();
        let delays: Vec<u128> = (0..9).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_millis(100));
    }

    #[test]
    fn stateless_delays_match_the_stateful_ones() {
        let policy = Backoff::new(Duration::from_millis(250), Duration::from_secs(3));
        let mut stateful = policy;
        for attempt in 1..12 {
            assert_eq!(
                policy.delay_for(attempt),
                stateful.next_delay(),
                "attempt {attempt}"
            );
        }
        assert_eq!(policy.delay_for(0), Duration::from_millis(250));
        assert_eq!(policy.delay_for(u32::MAX), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let shutdown = CancellationToken::new();
        let mut calls = 0;
        let outcome = retry(
            &shutdown,
            Backoff::default(),
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
            Backoff::default(),
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
            Backoff::default(),
            "test",
            "p",
            |_: &String| true,
            || async { Err::<(), _>("down".to_owned()) },
        )
        .await;
        assert!(matches!(abandoned, Retried::Abandoned));
    }

    #[tokio::test(start_paused = true)]
    async fn a_periodic_pass_backs_off_while_failing_and_stops_at_shutdown() {
        let shutdown = CancellationToken::new();
        let started = tokio::time::Instant::now();
        let mut at = Vec::new();
        let stop = shutdown.clone();
        every("test pass", Duration::from_secs(10), &shutdown, || {
            at.push(started.elapsed().as_secs());
            let n = at.len();
            if n == 6 {
                stop.cancel();
            }
            async move {
                if n <= 3 {
                    Err("down")
                } else {
                    Ok(())
                }
            }
        })
        .await;
        // Three failures (1 s, 2 s, 4 s apart), then the normal period.
        assert_eq!(at, [0, 1, 3, 7, 17, 27]);
    }

    #[tokio::test(start_paused = true)]
    async fn work_past_its_deadline_is_cut_short() {
        let slow = within(
            Duration::from_secs(1),
            tokio::time::sleep(Duration::from_secs(5)),
        );
        assert_eq!(slow.await, None);
        let quick = within(Duration::from_secs(1), async { 7 });
        assert_eq!(quick.await, Some(7));
    }
}
