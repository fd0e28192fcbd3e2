//! A local OpenAI-compatible server that misbehaves on purpose: the failure handling
//! of the LLM client is tested against it (a real server cannot be made to fail on cue).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A well-formed completion whose message content is this text.
    Content(String),
    /// An HTTP error with this body.
    Status(u16, String),
    /// Waits this long before answering with the content.
    Slow(Duration, String),
    /// Refuses `json_schema` response formats (as llama.cpp does) and answers others.
    NoJsonSchema(String),
}

impl Reply {
    /// A valid judgement.
    pub fn judgement(score: i64, summary: &str) -> Self {
        Self::Content(
            json!({"risk_score": score, "summary": summary, "reasoning": "fake"}).to_string(),
        )
    }
}

#[derive(Default)]
struct Script {
    queued: VecDeque<Reply>,
    fallback: Option<Reply>,
    requests: Vec<Value>,
}

/// A running fake server; its script is a queue of replies, then a fallback reply.
#[derive(Clone)]
pub struct FakeLlm {
    script: Arc<Mutex<Script>>,
    pub base_url: String,
}

impl FakeLlm {
    pub async fn start(fallback: Reply) -> Self {
        let script = Arc::new(Mutex::new(Script {
            fallback: Some(fallback),
            ..Script::default()
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { script, base_url }
    }

    /// Replies to use, in order, before the fallback.
    pub fn then(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script
            .lock()
            .expect("script lock")
            .queued
            .extend(replies);
    }

    /// Every request body received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.script.lock().expect("script lock").requests.clone()
    }
}

async fn complete(
    State(script): State<Arc<Mutex<Script>>>,
    Json(body): Json<Value>,
) -> (StatusCode, String) {
    let reply = {
        let mut script = script.lock().expect("script lock");
        script.requests.push(body.clone());
        script
            .queued
            .pop_front()
            .or_else(|| script.fallback.clone())
            .expect("a reply")
    };
    let completion = |content: String| {
        json!({
            "id": "fake", "object": "chat.completion", "model": "fake-judge",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        })
        .to_string()
    };
    match reply {
        Reply::Content(content) => (StatusCode::OK, completion(content)),
        Reply::Status(code, text) => (StatusCode::from_u16(code).expect("a status code"), text),
        Reply::Slow(delay, content) => {
            tokio::time::sleep(delay).await;
            (StatusCode::OK, completion(content))
        }
        Reply::NoJsonSchema(content) => {
            if body["response_format"]["type"] == "json_schema" {
                (StatusCode::INTERNAL_SERVER_ERROR, r#"{"error":{"message":"response_format type should be 'text' or 'json_object'"}}"#.to_owned())
            } else {
                (StatusCode::OK, completion(content))
            }
        }
    }
}
