//! The LLM judge, over OpenAI's chat-completions protocol (llama.cpp, vLLM, Ollama and
//! hosted APIs all speak it; Ollama through its native chat API when its `format` is
//! the way to hold it to the schema, see `structured`). Every call is bounded in time;
//! transient failures are retried with back-off; a circuit breaker stops calls to a dead
//! server; a reply is accepted only if it parses and carries a score and a summary, and
//! where it breaks the schema is noted.

pub mod answer;
mod breaker;
pub mod structured;

use crate::prompt::Prompt;
use crate::settings::LlmSettings;
use answer::Answer;
use breaker::Breaker;
use serde_json::{json, Value};
use std::time::Duration;
use structured::{Method, ReplyBounds, ServerKind};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The server kind in force and the step of its ladder being used.
#[derive(Debug, Clone, Copy)]
struct Choice {
    kind: ServerKind,
    step: usize,
}

impl Choice {
    fn method(self) -> Method {
        let ladder = self.kind.ladder();
        ladder[self.step.min(ladder.len() - 1)]
    }

    fn label(self) -> String {
        format!("{}/{}", self.kind.as_str(), self.method().as_str())
    }
}

/// Counts a judgement in flight for as long as it lives.
struct InFlight<'a>(&'a std::sync::atomic::AtomicU32);

impl<'a> InFlight<'a> {
    fn enter(counter: &'a std::sync::atomic::AtomicU32) -> Self {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A judgement from the model with what it cost.
#[derive(Debug, Clone)]
pub struct LlmJudgement {
    pub answer: Answer,
    /// How the reply's schema was asked for (`server kind/method`).
    pub structured_output: String,
    pub model: String,
    pub latency: Duration,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub attempts: u32,
}

/// Why no judgement came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (after {attempts} attempt(s))")]
pub struct LlmFailure {
    pub reason: String,
    pub attempts: u32,
}

enum CallError {
    /// Worth another try after a pause; counts against the breaker.
    Transient(String),
    /// The server rejected the reply format: step down and ask again.
    FormatRejected(String),
    /// The server answered but not usefully (bad status, unusable reply).
    Refused(String),
}

/// A client for one OpenAI-compatible endpoint.
#[derive(Debug)]
pub struct LlmClient {
    http: reqwest::Client,
    settings: LlmSettings,
    /// None until the server was detected (or when it must be detected again).
    choice: Mutex<Option<Choice>>,
    breaker: Breaker,
    /// Judgements asked of the server right now.
    in_flight: std::sync::atomic::AtomicU32,
}

impl LlmClient {
    pub fn new(settings: LlmSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .connect_timeout(Duration::from_millis(settings.timeout_ms.min(5_000)))
            .build()?;
        let breaker = Breaker::new(
            settings.breaker_failures,
            Duration::from_secs(settings.breaker_open_secs),
        );
        Ok(Self {
            http,
            settings,
            choice: Mutex::new(None),
            breaker,
            in_flight: std::sync::atomic::AtomicU32::new(0),
        })
    }

    pub fn model(&self) -> &str {
        &self.settings.model
    }

    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    /// Judgements being asked of the server right now.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The configured server kind, or the detected one with `auto` (None: nothing
    /// answered, so nothing is known yet).
    async fn server_kind(&self) -> Option<ServerKind> {
        match self.settings.server {
            ServerKind::Auto => {
                let key =
                    (!self.settings.api_key.is_empty()).then(|| self.settings.api_key.expose());
                structured::detect(&self.http, &self.settings.base_url, key).await
            }
            fixed => Some(fixed),
        }
    }

    /// The server kind and way of asking in force, detecting the server first if needed.
    async fn choice(&self) -> Choice {
        let mut choice = self.choice.lock().await;
        if let Some(current) = *choice {
            return current;
        }
        let detected = self.server_kind().await;
        let kind = detected.unwrap_or(ServerKind::OpenAi);
        let step = if self.settings.structured_output {
            0
        } else {
            kind.ladder().len() - 2 // json_object, then nothing
        };
        let chosen = Choice { kind, step };
        if detected.is_some() {
            tracing::info!(server = kind.as_str(), method = chosen.method().as_str(), base_url = %self.settings.base_url, "llm structured output chosen");
            *choice = Some(chosen);
        }
        chosen
    }

    /// After `rejected` was refused: detect the server again (it may have been swapped);
    /// the same kind steps down its ladder, another kind starts at the top of its own.
    async fn step_down(&self, rejected: Choice, reason: &str) -> bool {
        let kind = self.server_kind().await.unwrap_or(rejected.kind);
        let next = if kind == rejected.kind {
            Choice {
                kind,
                step: rejected.step + 1,
            }
        } else {
            Choice { kind, step: 0 }
        };
        if next.step >= next.kind.ladder().len() {
            return false;
        }
        metrics::counter!("hsi_llm_format_rejections_total", "method" => rejected.method().as_str())
            .increment(1);
        tracing::warn!(rejected = %rejected.label(), next = %next.label(), %reason, "llm server rejected the way the reply schema was asked for, stepping down");
        *self.choice.lock().await = Some(next);
        true
    }

    /// Asks for a judgement of `prompt` with a score within `bounds`, retrying as
    /// configured.
    pub async fn judge(
        &self,
        prompt: &Prompt,
        bounds: ReplyBounds,
    ) -> Result<LlmJudgement, LlmFailure> {
        let started = Instant::now();
        let _in_flight = InFlight::enter(&self.in_flight);
        let mut attempts = 0;
        let mut rejections = 0;
        let mut last = String::from("no attempt made");
        let mut backoff = hsi_core::retry::Backoff::new(
            Duration::from_millis(self.settings.retry_base_ms),
            Duration::from_secs(10),
        );
        while attempts < self.settings.attempts {
            if let Some(remaining) = self.breaker.open_for() {
                return Err(LlmFailure {
                    reason: format!(
                        "llm circuit breaker open for {}s more; last error: {last}",
                        remaining.as_secs()
                    ),
                    attempts,
                });
            }
            attempts += 1;
            let choice = self.choice().await;
            match self.call(prompt, choice, bounds).await {
                Ok((answer, model, usage)) => {
                    self.breaker.success();
                    metrics::counter!("hsi_llm_replies_total", "outcome" => "valid", "method" => choice.method().as_str()).increment(1);
                    return Ok(LlmJudgement {
                        answer,
                        structured_output: choice.label(),
                        model,
                        latency: started.elapsed(),
                        prompt_tokens: usage.0,
                        completion_tokens: usage.1,
                        attempts,
                    });
                }
                Err(CallError::FormatRejected(reason)) => {
                    // Not the model's fault: ask again the next way (a bounded number of
                    // times, in case a server rejects everything).
                    rejections += 1;
                    if rejections <= 8 && self.step_down(choice, &reason).await {
                        attempts -= 1;
                        continue;
                    }
                    last = reason;
                }
                Err(CallError::Transient(reason)) => {
                    self.breaker.failure();
                    let delay = backoff.next_delay();
                    tracing::warn!(attempt = attempts, %reason, retry_in_ms = delay.as_millis() as u64, "llm call failed");
                    last = reason;
                    if attempts < self.settings.attempts {
                        tokio::time::sleep(delay).await;
                    }
                }
                Err(CallError::Refused(reason)) => {
                    metrics::counter!("hsi_llm_replies_total", "outcome" => "invalid", "method" => choice.method().as_str()).increment(1);
                    tracing::warn!(attempt = attempts, method = %choice.label(), %reason, "llm reply unusable");
                    last = reason;
                }
            }
        }
        metrics::counter!("hsi_llm_failures_total").increment(1);
        Err(LlmFailure {
            reason: last,
            attempts,
        })
    }

    /// The messages of `prompt`; with images, the user message is a list of parts.
    fn messages(prompt: &Prompt, ollama: bool) -> Value {
        let user =
            if prompt.images.is_empty() {
                json!({"role": "user", "content": prompt.user})
            } else if ollama {
                let images: Vec<&str> = prompt.images.iter().map(|i| i.base64()).collect();
                json!({"role": "user", "content": prompt.user, "images": images})
            } else {
                let mut parts = vec![json!({"type": "text", "text": prompt.user})];
                parts.extend(prompt.images.iter().map(
                    |image| json!({"type": "image_url", "image_url": {"url": image.data_url}}),
                ));
                json!({"role": "user", "content": parts})
            };
        json!([{"role": "system", "content": prompt.system}, user])
    }

    async fn call(
        &self,
        prompt: &Prompt,
        choice: Choice,
        bounds: ReplyBounds,
    ) -> Result<(Answer, String, (Option<i32>, Option<i32>)), CallError> {
        let method = choice.method();
        let temperature = self
            .settings
            .temperature
            .unwrap_or(prompt.config.temperature);
        let max_tokens = self.settings.max_tokens.unwrap_or(prompt.config.max_tokens);
        let ollama = method == Method::OllamaFormat;
        let (url, body) = if ollama {
            let body = json!({
                "model": self.settings.model,
                "messages": Self::messages(prompt, true),
                "stream": false,
                "format": structured::reply_schema(bounds),
                "options": {"temperature": temperature, "num_predict": max_tokens},
            });
            (
                format!("{}/api/chat", structured::root_of(&self.settings.base_url)),
                body,
            )
        } else {
            let mut body = json!({
                "model": self.settings.model,
                "messages": Self::messages(prompt, false),
                "temperature": temperature,
                "max_tokens": max_tokens,
                "stream": false,
            });
            structured::apply(method, &mut body, bounds);
            (
                format!(
                    "{}/chat/completions",
                    self.settings.base_url.trim_end_matches('/')
                ),
                body,
            )
        };
        let mut request = self.http.post(&url).json(&body);
        if !self.settings.api_key.is_empty() {
            request = request.bearer_auth(self.settings.api_key.expose());
        }
        let started = Instant::now();
        let response = request.send().await.map_err(|err| {
            if err.is_timeout() {
                CallError::Transient(format!(
                    "llm call timed out after {} ms",
                    self.settings.timeout_ms
                ))
            } else {
                CallError::Transient(format!("llm server unreachable at {url}: {err}"))
            }
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|err| CallError::Transient(format!("reading the llm reply failed: {err}")))?;
        metrics::histogram!("hsi_llm_request_seconds").record(started.elapsed().as_secs_f64());
        if !status.is_success() {
            let excerpt: String = text.chars().take(300).collect();
            let lower = text.to_ascii_lowercase();
            let names_method = method
                .rejection_markers()
                .iter()
                .any(|marker| lower.contains(marker));
            // llama-cpp-python answers a request it cannot validate with a 500 that
            // quotes the validation error.
            let validation = [
                "validation",
                "input should",
                "should be",
                "not supported",
                "unsupported",
                "invalid",
            ]
            .iter()
            .any(|marker| lower.contains(marker));
            let rejected = names_method
                && (matches!(status.as_u16(), 400 | 404 | 422)
                    || (status.as_u16() == 500 && validation))
                || (ollama && status.as_u16() == 404);
            if rejected {
                return Err(CallError::FormatRejected(format!(
                    "status {status}: {excerpt}"
                )));
            }
            let message = format!("llm server answered {status}: {excerpt}");
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                CallError::Transient(message)
            } else {
                CallError::Refused(message)
            });
        }
        let reply: Value = serde_json::from_str(&text)
            .map_err(|err| CallError::Refused(format!("the llm response is not JSON: {err}")))?;
        let (content, usage) = if ollama {
            (
                reply["message"]["content"].as_str(),
                (
                    reply["prompt_eval_count"].as_i64(),
                    reply["eval_count"].as_i64(),
                ),
            )
        } else {
            (
                reply["choices"][0]["message"]["content"].as_str(),
                (
                    reply["usage"]["prompt_tokens"].as_i64(),
                    reply["usage"]["completion_tokens"].as_i64(),
                ),
            )
        };
        let content = content.ok_or_else(|| {
            CallError::Refused("the llm response has no message content".to_owned())
        })?;
        let answer = answer::parse_within(content, bounds).map_err(CallError::Refused)?;
        if !answer.violations.is_empty() {
            tracing::warn!(method = %choice.label(), violations = ?answer.violations, "llm reply breaks the reply schema; repaired");
        }
        let usage = (
            usage.0.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
            usage.1.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
        );
        for (kind, n) in [("prompt", usage.0), ("completion", usage.1)] {
            if let Some(n) = n {
                metrics::counter!("hsi_llm_tokens_total", "kind" => kind)
                    .increment(n.max(0) as u64);
            }
        }
        let model = reply["model"]
            .as_str()
            .unwrap_or(&self.settings.model)
            .to_owned();
        Ok((answer, model, usage))
    }
}
