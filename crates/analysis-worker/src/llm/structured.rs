//! Structured output that reaches the sampler: which kind of server answers at
//! `llm.base_url`, and the way that kind enforces a JSON schema while it samples.
//!
//! | server | tried in this order |
//! | --- | --- |
//! | llama.cpp `llama-server` | `json_schema`, `json_object` + `schema`, GBNF `grammar` |
//! | llama-cpp-python | GBNF `grammar`, `json_object` + `schema` (its schema converter ignores integer bounds) |
//! | vLLM | `guided_json`, `json_schema` |
//! | Ollama | native `/api/chat` with `format` = the schema, `json_schema` |
//! | OpenAI-style hosted APIs | `json_schema` (strict) |
//!
//! then, for every kind, `json_object` and nothing (the reply is still parsed and
//! checked; those two only ask). A server that rejects a way (an HTTP 400/404/422
//! naming it) is asked the next way, and the kind is detected again, so a server
//! swapped behind the same URL is noticed.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

/// The kind of server behind the base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// Detect at the first call and again after a rejection.
    Auto,
    LlamaCpp,
    LlamaCppPython,
    Vllm,
    Ollama,
    #[serde(rename = "openai")]
    OpenAi,
}

impl ServerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::LlamaCpp => "llama_cpp",
            Self::LlamaCppPython => "llama_cpp_python",
            Self::Vllm => "vllm",
            Self::Ollama => "ollama",
            Self::OpenAi => "openai",
        }
    }

    /// The ways to ask, most precise first.
    pub fn ladder(self) -> &'static [Method] {
        use Method::*;
        match self {
            Self::LlamaCpp => &[JsonSchema, JsonObjectSchema, Grammar, JsonObject, Plain],
            // Its JSON-schema converter drops `minimum`/`maximum` (seen with 0.3.36: scores
            // outside the bound); the grammar spells the allowed scores out.
            Self::LlamaCppPython => &[Grammar, JsonObjectSchema, JsonObject, Plain],
            Self::Vllm => &[GuidedJson, JsonSchema, JsonObject, Plain],
            Self::Ollama => &[OllamaFormat, JsonSchema, JsonObject, Plain],
            Self::OpenAi | Self::Auto => &[JsonSchema, JsonObject, Plain],
        }
    }
}

/// One way of asking for the reply's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `response_format: {type: json_schema, json_schema: {name, strict, schema}}`.
    JsonSchema,
    /// `response_format: {type: json_object, schema}` (llama.cpp and llama-cpp-python).
    JsonObjectSchema,
    /// `grammar`: a GBNF grammar of the reply (llama.cpp and llama-cpp-python).
    Grammar,
    /// `guided_json`: vLLM's guided decoding.
    GuidedJson,
    /// Ollama's native chat API with `format` set to the schema.
    OllamaFormat,
    /// `response_format: {type: json_object}`: JSON, but any JSON.
    JsonObject,
    /// Nothing asked; the prompt describes the reply.
    Plain,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonSchema => "json_schema",
            Self::JsonObjectSchema => "json_object+schema",
            Self::Grammar => "grammar",
            Self::GuidedJson => "guided_json",
            Self::OllamaFormat => "ollama_format",
            Self::JsonObject => "json_object",
            Self::Plain => "none",
        }
    }

    /// Whether the sampler itself is held to the schema.
    pub fn enforces_schema(self) -> bool {
        !matches!(self, Self::JsonObject | Self::Plain)
    }

    /// Words in an error body that show the server refused this way of asking.
    pub fn rejection_markers(self) -> &'static [&'static str] {
        match self {
            Self::JsonSchema | Self::JsonObjectSchema | Self::JsonObject => {
                &["response_format", "json_schema", "schema"]
            }
            Self::Grammar => &["grammar"],
            Self::GuidedJson => &["guided_json", "guided"],
            Self::OllamaFormat => &["format", "not found", "404"],
            Self::Plain => &[],
        }
    }
}

/// The bounds the reply must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyBounds {
    pub min_score: i64,
    pub max_score: i64,
}

impl Default for ReplyBounds {
    fn default() -> Self {
        Self {
            min_score: 0,
            max_score: 100,
        }
    }
}

/// Longest summary the schema lets the model write (characters).
pub const SUMMARY_MAX: usize = 160;
/// Longest reasoning the schema lets the model write: a small model left unbounded
/// rambles until `max_tokens` cuts the JSON off.
pub const REASONING_MAX: usize = 400;

/// The reply's JSON schema. The summary and the reasoning come before the score, so
/// the model writes why before it commits to a number.
pub fn reply_schema(bounds: ReplyBounds) -> Value {
    json!({
        "type": "object",
        "properties": {
            "summary": {"type": "string", "minLength": 1, "maxLength": SUMMARY_MAX},
            "reasoning": {"type": "string", "minLength": 1, "maxLength": REASONING_MAX},
            "risk_score": {"type": "integer", "minimum": bounds.min_score, "maximum": bounds.max_score}
        },
        "required": ["summary", "reasoning", "risk_score"],
        "additionalProperties": false
    })
}

/// The same reply as a GBNF grammar, for servers that take grammars: the allowed scores
/// are spelled out, so the bound reaches the sampler.
pub fn reply_grammar(bounds: ReplyBounds) -> String {
    let scores: Vec<String> = (bounds.min_score.max(0)..=bounds.max_score.min(100))
        .map(|n| format!("\"{n}\""))
        .collect();
    let scores = if scores.is_empty() {
        "\"0\"".to_owned()
    } else {
        scores.join(" | ")
    };
    format!(
        r#"root ::= "{{" ws "\"summary\"" ws ":" ws summary ws "," ws "\"reasoning\"" ws ":" ws reasoning ws "," ws "\"risk_score\"" ws ":" ws score ws "}}"
summary ::= "\"" char{{1,{SUMMARY_MAX}}} "\""
reasoning ::= "\"" char{{1,{REASONING_MAX}}} "\""
char ::= [^"\\\x00-\x1f] | "\\" ["\\/bfnrt]
score ::= {scores}
ws ::= [ \t\n]{{0,2}}
"#
    )
}

/// Adds the way of asking to an OpenAI chat-completions request body.
pub fn apply(method: Method, body: &mut Value, bounds: ReplyBounds) {
    let schema = reply_schema(bounds);
    match method {
        Method::JsonSchema => {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "risk_judgement", "strict": true, "schema": schema}
            });
        }
        Method::JsonObjectSchema => {
            body["response_format"] = json!({"type": "json_object", "schema": schema});
        }
        Method::Grammar => body["grammar"] = Value::String(reply_grammar(bounds)),
        Method::GuidedJson => body["guided_json"] = schema,
        Method::JsonObject => body["response_format"] = json!({"type": "json_object"}),
        // The Ollama body is built by the caller (another API); nothing to add here.
        Method::OllamaFormat | Method::Plain => {}
    }
}

/// The server root (the base URL without its trailing `/v1`).
pub fn root_of(base_url: &str) -> &str {
    let base = base_url.trim_end_matches('/');
    base.strip_suffix("/v1").unwrap_or(base)
}

/// Asks the server what it is: Ollama answers `/api/version`, llama.cpp's server
/// `/props`, llama-cpp-python names itself in its OpenAPI document, vLLM owns its
/// models in `/v1/models`; anything else that answers is taken for an OpenAI-style API.
/// None when nothing answered at all (the server is down: ask again later).
pub async fn detect(
    http: &reqwest::Client,
    base_url: &str,
    api_key: Option<&str>,
) -> Option<ServerKind> {
    let root = root_of(base_url);
    let answered = std::sync::atomic::AtomicBool::new(false);
    let get = |url: String| {
        let mut request = http.get(url).timeout(Duration::from_secs(3));
        if let Some(key) = api_key {
            request = request.bearer_auth(key);
        }
        let answered = &answered;
        async move {
            let response = request.send().await.ok()?;
            answered.store(true, std::sync::atomic::Ordering::Relaxed);
            if !response.status().is_success() {
                return None;
            }
            response.json::<Value>().await.ok()
        }
    };
    if let Some(version) = get(format!("{root}/api/version")).await {
        if version.get("version").is_some() {
            return Some(ServerKind::Ollama);
        }
    }
    if let Some(props) = get(format!("{root}/props")).await {
        if props.get("default_generation_settings").is_some() || props.get("build_info").is_some() {
            return Some(ServerKind::LlamaCpp);
        }
    }
    if let Some(openapi) = get(format!("{root}/openapi.json")).await {
        let title = openapi["info"]["title"].as_str().unwrap_or_default();
        if title.contains("llama.cpp Python") || title.contains("llama-cpp-python") {
            return Some(ServerKind::LlamaCppPython);
        }
        if title.to_ascii_lowercase().contains("vllm") {
            return Some(ServerKind::Vllm);
        }
    }
    if let Some(models) = get(format!("{}/models", base_url.trim_end_matches('/'))).await {
        let owned_by = models["data"][0]["owned_by"].as_str().unwrap_or_default();
        match owned_by {
            "vllm" => return Some(ServerKind::Vllm),
            "llamacpp" => return Some(ServerKind::LlamaCpp),
            _ => {}
        }
    }
    answered
        .load(std::sync::atomic::Ordering::Relaxed)
        .then_some(ServerKind::OpenAi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ladder_ends_in_json_object_then_nothing() {
        for kind in [
            ServerKind::LlamaCpp,
            ServerKind::LlamaCppPython,
            ServerKind::Vllm,
            ServerKind::Ollama,
            ServerKind::OpenAi,
        ] {
            let ladder = kind.ladder();
            assert!(ladder[0].enforces_schema(), "{kind:?} starts enforcing");
            assert_eq!(
                &ladder[ladder.len() - 2..],
                &[Method::JsonObject, Method::Plain]
            );
        }
    }

    #[test]
    fn the_schema_bounds_the_score_and_the_text() {
        let schema = reply_schema(ReplyBounds {
            min_score: 40,
            max_score: 60,
        });
        assert_eq!(schema["properties"]["risk_score"]["minimum"], 40);
        assert_eq!(schema["properties"]["risk_score"]["maximum"], 60);
        assert_eq!(
            schema["properties"]["reasoning"]["maxLength"],
            REASONING_MAX
        );
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn the_root_drops_v1() {
        assert_eq!(root_of("http://h:1/v1"), "http://h:1");
        assert_eq!(root_of("http://h:1/v1/"), "http://h:1");
        assert_eq!(root_of("http://h:1"), "http://h:1");
    }

    #[test]
    fn the_grammar_names_every_field_in_order_and_spells_out_the_scores() {
        let grammar = reply_grammar(ReplyBounds {
            min_score: 95,
            max_score: 100,
        });
        assert!(
            grammar.contains(r#"score ::= "95" | "96" | "97" | "98" | "99" | "100""#),
            "{grammar}"
        );
        let summary = grammar.find("summary").unwrap();
        let reasoning = grammar.find("reasoning").unwrap();
        let score = grammar.find("risk_score").unwrap();
        assert!(summary < reasoning && reasoning < score);
        assert!(grammar.contains("char{1,400}"));
    }
}
