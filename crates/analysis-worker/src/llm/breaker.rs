//! A circuit breaker: after enough consecutive failures the LLM is left alone for a
//! while, so a dead server costs one quick refusal per batch instead of a timeout each.

use std::sync::Mutex;
use tokio::time::{Duration, Instant};

/// Counts consecutive failures; open for `open_for` once `threshold` is reached. When
/// that time has passed calls are let through again; the first failure re-opens it,
/// the first success closes it.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    open_for: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    pub fn new(threshold: u32, open_for: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            open_for,
            state: Mutex::new(State::default()),
        }
    }

    /// `Some(remaining)` while calls must not be made.
    pub fn open_for(&self) -> Option<Duration> {
        let state = self.state.lock().ok()?;
        state
            .open_until
            .and_then(|until| until.checked_duration_since(Instant::now()))
            .filter(|d| !d.is_zero())
    }

    pub fn success(&self) {
        if let Ok(mut state) = self.state.lock() {
            *state = State::default();
        }
    }

    pub fn failure(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.failures = state.failures.saturating_add(1);
            if state.failures >= self.threshold {
                state.open_until = Some(Instant::now() + self.open_for);
                tracing::warn!(
                    failures = state.failures,
                    open_secs = self.open_for.as_secs(),
                    "llm circuit breaker open"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_the_threshold_and_lets_a_trial_through_later() {
        let breaker = Breaker::new(3, Duration::from_secs(30));
        breaker.failure();
        breaker.failure();
        assert!(breaker.open_for().is_none(), "below the threshold");
        breaker.failure();
        assert!(breaker.open_for().is_some(), "open at the threshold");
        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(
            breaker.open_for().is_none(),
            "a trial call is allowed after the pause"
        );
        breaker.failure();
        assert!(
            breaker.open_for().is_some(),
            "a failed trial re-opens at once"
        );
        tokio::time::advance(Duration::from_secs(31)).await;
        breaker.success();
        breaker.failure();
        assert!(breaker.open_for().is_none(), "success resets the count");
    }
}
