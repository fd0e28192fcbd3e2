//! The webhook channel: POST the alert as JSON, retrying what may succeed later.

use crate::channel::WebhookTarget;
use crate::delivery::{AlertPayload, ChannelResult};
use crate::ssrf::{self, Destination};
use reqwest::{Client, StatusCode};
use std::time::Duration;

/// How one webhook is attempted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub retries: u32,
    pub base_backoff: Duration,
    pub attempt_timeout: Duration,
    pub allow_private: bool,
}

impl RetryPolicy {
    /// Back-off before retry `n` (1-based): base, 2 x base, 4 x base, ... (at most a
    /// minute; the outbox spaces out longer outages).
    fn backoff(&self, retry: u32) -> Duration {
        hsi_core::retry::Backoff::new(self.base_backoff, Duration::from_secs(60)).delay_for(retry)
    }
}

/// The outcome of one attempt.
enum Attempt {
    Delivered(StatusCode),
    /// Worth trying again: no answer, a timeout, 5xx, 408 or 429.
    Retryable {
        status: Option<StatusCode>,
        error: String,
    },
    /// Trying again would get the same answer.
    Permanent {
        status: Option<StatusCode>,
        error: String,
    },
}

/// The header that lets a receiver drop repeats: the same value for every attempt to
/// deliver one alert to one channel.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Sends `payload` to `target`, with retries and exponential back-off; every request
/// carries `idempotency_key`.
pub(crate) async fn send(
    client: &Client,
    target: &WebhookTarget,
    payload: &AlertPayload,
    idempotency_key: &str,
    policy: RetryPolicy,
) -> ChannelResult {
    let mut result = ChannelResult::new("webhook", target.display_target());
    if !policy.allow_private {
        if let Destination::Refused(reason) = ssrf::check_destination(&target.url).await {
            result.error = Some(reason);
            return result;
        }
    }
    let timeout = target.timeout.unwrap_or(policy.attempt_timeout);
    loop {
        result.attempts += 1;
        let sent = attempt(client, target, payload, idempotency_key, timeout).await;
        let (status, error, retry) = match sent {
            Attempt::Delivered(status) => {
                result.ok = true;
                result.http_status = Some(status.as_u16());
                result.error = None;
                return result;
            }
            Attempt::Retryable { status, error } => (status, error, true),
            Attempt::Permanent { status, error } => (status, error, false),
        };
        result.http_status = status.map(|s| s.as_u16());
        result.error = Some(error);
        result.retryable = retry;
        if !retry || result.attempts > policy.retries {
            return result;
        }
        let backoff = policy.backoff(result.attempts);
        tracing::debug!(
            target = %result.target,
            attempt = result.attempts,
            backoff_ms = backoff.as_millis() as u64,
            error = result.error.as_deref().unwrap_or_default(),
            "webhook attempt failed, retrying"
        );
        tokio::time::sleep(backoff).await;
    }
}

async fn attempt(
    client: &Client,
    target: &WebhookTarget,
    payload: &AlertPayload,
    idempotency_key: &str,
    timeout: Duration,
) -> Attempt {
    let mut request = client
        .post(target.url.clone())
        .headers(target.headers.clone())
        .header(IDEMPOTENCY_HEADER, idempotency_key);
    // The receiver may continue the trace (W3C trace context), as the gateway does.
    if let Some((traceparent, tracestate)) = hsi_core::otel::current_trace_context() {
        request = request.header("traceparent", traceparent);
        if !tracestate.is_empty() {
            request = request.header("tracestate", tracestate);
        }
    }
    let sent = request.json(payload).timeout(timeout).send().await;
    let response = match sent {
        Ok(response) => response,
        Err(err) if err.is_builder() => {
            return Attempt::Permanent {
                status: None,
                error: describe(err),
            }
        }
        Err(err) if err.is_timeout() => {
            return Attempt::Retryable {
                status: None,
                error: format!("no answer within {} ms", timeout.as_millis()),
            }
        }
        Err(err) => {
            return Attempt::Retryable {
                status: None,
                error: describe(err),
            }
        }
    };
    let status = response.status();
    if status.is_success() {
        return Attempt::Delivered(status);
    }
    let error = format!("receiver answered http {status}");
    // 408 and 429 are the client errors that say "later", not "never".
    let transient = status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS;
    if transient {
        Attempt::Retryable {
            status: Some(status),
            error,
        }
    } else {
        Attempt::Permanent {
            status: Some(status),
            error,
        }
    }
}

/// The error with its causes, without the URL (whose query may hold a token).
fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base() {
        let policy = RetryPolicy {
            retries: 3,
            base_backoff: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(5),
            allow_private: false,
        };
        let waits: Vec<u64> = (1..=4)
            .map(|n| policy.backoff(n).as_millis() as u64)
            .collect();
        assert_eq!(waits, [500, 1000, 2000, 4000]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(60));
    }
}
