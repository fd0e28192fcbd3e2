//! A local OpenAI-compatible server that misbehaves on purpose: the failure handling
//! of the LLM client is tested against it (a real server cannot be made to fail on cue).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
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

/// Which server the fake pretends to be: what its detection endpoints answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    /// Only `/v1/chat/completions` (an OpenAI-style hosted API).
    #[default]
    OpenAi,
    /// llama.cpp's `llama-server`: `/props`.
    LlamaCpp,
    /// llama-cpp-python: its OpenAPI title; refuses `json_schema` with a 500 as 0.3.36 does.
    LlamaCppPython,
    /// vLLM: `/v1/models` owned by vllm.
    Vllm,
    /// Ollama: `/api/version` and the native `/api/chat`.
    Ollama,
}

#[derive(Default)]
struct Script {
    kind: Kind,
    queued: VecDeque<Reply>,
    fallback: Option<Reply>,
    requests: Vec<Value>,
    /// Paths of every request, in order (GET probes included).
    paths: Vec<String>,
}

/// A running fake server; its script is a queue of replies, then a fallback reply.
#[derive(Clone)]
pub struct FakeLlm {
    script: Arc<Mutex<Script>>,
    pub base_url: String,
}

impl FakeLlm {
    pub async fn start(fallback: Reply) -> Self {
        Self::start_as(Kind::OpenAi, fallback).await
    }

    /// A fake of server kind `kind`.
    pub async fn start_as(kind: Kind, fallback: Reply) -> Self {
        let script = Arc::new(Mutex::new(Script {
            kind,
            fallback: Some(fallback),
            ..Script::default()
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .route("/api/chat", post(ollama_chat))
            .route("/api/version", get(probe))
            .route("/props", get(probe))
            .route("/openapi.json", get(probe))
            .route("/v1/models", get(probe))
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

    /// Paths requested so far, probes included.
    pub fn paths(&self) -> Vec<String> {
        self.script.lock().expect("script lock").paths.clone()
    }

    /// Every request body received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.script.lock().expect("script lock").requests.clone()
    }
}

/// The detection endpoints: each answers only for the kind that has it.
async fn probe(
    State(script): State<Arc<Mutex<Script>>>,
    uri: axum::http::Uri,
) -> (StatusCode, String) {
    let kind = {
        let mut script = script.lock().expect("script lock");
        script.paths.push(uri.path().to_owned());
        script.kind
    };
    let answer = match (uri.path(), kind) {
        ("/api/version", Kind::Ollama) => json!({"version": "0.12.3"}),
        ("/props", Kind::LlamaCpp) => {
            json!({"default_generation_settings": {}, "build_info": "b6000"})
        }
        ("/openapi.json", Kind::LlamaCppPython) => {
            json!({"info": {"title": "🦙 llama.cpp Python API", "version": "0.3.36"}})
        }
        ("/openapi.json", Kind::Vllm) => json!({"info": {"title": "FastAPI", "version": "0.1.0"}}),
        ("/v1/models", Kind::Vllm) => {
            json!({"object": "list", "data": [{"id": "qwen", "owned_by": "vllm"}]})
        }
        ("/v1/models", Kind::LlamaCppPython) => {
            json!({"object": "list", "data": [{"id": "m", "owned_by": "me"}]})
        }
        _ => return (StatusCode::NOT_FOUND, "not found".to_owned()),
    };
    (StatusCode::OK, answer.to_string())
}

/// Ollama's native chat API: the reply's shape differs from OpenAI's.
async fn ollama_chat(
    State(script): State<Arc<Mutex<Script>>>,
    Json(body): Json<Value>,
) -> (StatusCode, String) {
    let reply = {
        let mut script = script.lock().expect("script lock");
        script.paths.push("/api/chat".to_owned());
        if script.kind != Kind::Ollama {
            return (StatusCode::NOT_FOUND, "404 page not found".to_owned());
        }
        script.requests.push(body);
        script
            .queued
            .pop_front()
            .or_else(|| script.fallback.clone())
            .expect("a reply")
    };
    match reply {
        Reply::Content(content) | Reply::NoJsonSchema(content) | Reply::Slow(_, content) => (
            StatusCode::OK,
            json!({"model": "fake-ollama", "message": {"role": "assistant", "content": content}, "done": true, "prompt_eval_count": 90, "eval_count": 30}).to_string(),
        ),
        Reply::Status(code, text) => (StatusCode::from_u16(code).expect("a status code"), text),
    }
}

async fn complete(
    State(script): State<Arc<Mutex<Script>>>,
    Json(body): Json<Value>,
) -> (StatusCode, String) {
    let reply = {
        let mut script = script.lock().expect("script lock");
        script.paths.push("/v1/chat/completions".to_owned());
        if script.kind == Kind::LlamaCppPython && body["response_format"]["type"] == "json_schema" {
            script.requests.push(body.clone());
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":{"message":"1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\"}"}}"#.to_owned(),
            );
        }
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
