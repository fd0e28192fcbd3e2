//! The LLM judge, over OpenAI's chat-completions protocol (llama.cpp, vLLM, Ollama and
//! hosted APIs all speak it). Every call is bounded in time; transient failures are
//! retried with back-off; a circuit breaker stops calls to a dead server; a reply is
//! accepted only if it parses and carries a score and a summary.

pub mod answer;
mod breaker;

use crate::prompt::Prompt;
use crate::settings::LlmSettings;
use answer::Answer;
use breaker::Breaker;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// The JSON schema asked of the model.
fn reply_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "risk_score": {"type": "integer", "minimum": 0, "maximum": 100},
            "summary": {"type": "string"},
            "reasoning": {"type": "string"}
        },
        "required": ["risk_score", "summary", "reasoning"],
        "additionalProperties": false
    })
}

/// How the reply format is requested, most precise first. Servers that reject one are
/// asked the next way, and the step is remembered.
const FORMATS: [&str; 4] = ["json_schema", "json_object+schema", "json_object", "none"];

/// A judgement from the model with what it cost.
#[derive(Debug, Clone)]
pub struct LlmJudgement {
    pub answer: Answer,
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
    format: AtomicU8,
    breaker: Breaker,
}

impl LlmClient {
    pub fn new(settings: LlmSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .connect_timeout(Duration::from_millis(settings.timeout_ms.min(5_000)))
            .build()?;
        let start = if settings.structured_output { 0 } else { 2 };
        let breaker = Breaker::new(
            settings.breaker_failures,
            Duration::from_secs(settings.breaker_open_secs),
        );
        Ok(Self {
            http,
            settings,
            format: AtomicU8::new(start),
            breaker,
        })
    }

    pub fn model(&self) -> &str {
        &self.settings.model
    }

    /// Asks for a judgement of `prompt`, retrying as configured.
    pub async fn judge(&self, prompt: &Prompt) -> Result<LlmJudgement, LlmFailure> {
        let started = Instant::now();
        let mut attempts = 0;
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
            match self.call(prompt).await {
                Ok((answer, model, usage)) => {
                    self.breaker.success();
                    return Ok(LlmJudgement {
                        answer,
                        model,
                        latency: started.elapsed(),
                        prompt_tokens: usage.0,
                        completion_tokens: usage.1,
                        attempts,
                    });
                }
                Err(CallError::FormatRejected(reason)) => {
                    let step = self.format.load(Ordering::Relaxed);
                    if usize::from(step) + 1 < FORMATS.len() {
                        self.format.store(step + 1, Ordering::Relaxed);
                        tracing::warn!(rejected = FORMATS[usize::from(step)], next = FORMATS[usize::from(step) + 1], %reason, "llm server rejected the reply format, stepping down");
                        attempts -= 1; // not the model's fault; ask again the simpler way
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
                    tracing::warn!(attempt = attempts, %reason, "llm reply unusable");
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

    async fn call(
        &self,
        prompt: &Prompt,
    ) -> Result<(Answer, String, (Option<i32>, Option<i32>)), CallError> {
        let format =
            FORMATS[usize::from(self.format.load(Ordering::Relaxed)).min(FORMATS.len() - 1)];
        let mut body = json!({
            "model": self.settings.model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "temperature": self.settings.temperature.unwrap_or(prompt.config.temperature),
            "max_tokens": self.settings.max_tokens.unwrap_or(prompt.config.max_tokens),
            "stream": false,
        });
        match format {
            "json_schema" => {
                body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "risk_judgement", "strict": true, "schema": reply_schema()}})
            }
            "json_object+schema" => {
                body["response_format"] = json!({"type": "json_object", "schema": reply_schema()})
            }
            "json_object" => body["response_format"] = json!({"type": "json_object"}),
            _ => {}
        }
        let url = format!(
            "{}/chat/completions",
            self.settings.base_url.trim_end_matches('/')
        );
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
            if text.contains("response_format") && format != "none" {
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
        let content = reply["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| {
                CallError::Refused("the llm response has no message content".to_owned())
            })?;
        let answer = answer::parse(content).map_err(CallError::Refused)?;
        let usage = (
            reply["usage"]["prompt_tokens"].as_i64().map(|n| n as i32),
            reply["usage"]["completion_tokens"]
                .as_i64()
                .map(|n| n as i32),
        );
        if let Some(n) = usage.0 {
            metrics::counter!("hsi_llm_tokens_total", "kind" => "prompt")
                .increment(n.max(0) as u64);
        }
        if let Some(n) = usage.1 {
            metrics::counter!("hsi_llm_tokens_total", "kind" => "completion")
                .increment(n.max(0) as u64);
        }
        let model = reply["model"]
            .as_str()
            .unwrap_or(&self.settings.model)
            .to_owned();
        Ok((answer, model, usage))
    }
}
