//! The gateway's REST API (`/api/v1/...`) with an API key. The key travels only in the
//! `Authorization` header and is never printed, not even in errors.

use crate::error::{CliError, CliResult};
use hsi_core::settings::Secret;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// Longest one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client of one gateway.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    key: Secret,
    http: reqwest::Client,
}

impl ApiClient {
    /// A client of the gateway at `base` (`http://host:port`, with or without a path).
    pub fn new(base: &str, key: Secret) -> CliResult<Self> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CliError::Usage(format!(
                "--api {base:?} is not an http:// or https:// URL"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("hsi-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| CliError::Other(format!("cannot build an HTTP client: {err}")))?;
        Ok(Self { base, key, http })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn key(&self) -> &Secret {
        &self.key
    }

    /// `GET /api/v1{path}` with `query` pairs.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> CliResult<Value> {
        self.send(Method::GET, path, query, None).await
    }

    /// `method /api/v1{path}` with a JSON body.
    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> CliResult<Value> {
        self.send(method, path, &[], Some(body)).await
    }

    /// `DELETE /api/v1{path}`.
    pub async fn delete(&self, path: &str) -> CliResult<Value> {
        self.send(Method::DELETE, path, &[], None).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> CliResult<Value> {
        let url = format!("{}/api/v1{path}", self.base);
        let mut request = self
            .http
            .request(method, &url)
            .bearer_auth(self.key.expose())
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|err| self.unreachable(&err))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|err| self.unreachable(&err))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|err| {
                CliError::Other(format!(
                    "the gateway at {} answered {url} with something that is not JSON: {err}",
                    self.base
                ))
            });
        }
        Err(self.refusal(status, &text))
    }

    /// The error for a request that never got an answer.
    pub fn unreachable(&self, err: &reqwest::Error) -> CliError {
        let reason = if err.is_connect() {
            "cannot connect (is the gateway running, and is --api/HSI_API_URL right?)".to_owned()
        } else if err.is_timeout() {
            format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())
        } else {
            // The URL carries no secret: the key travels in a header.
            err.to_string()
        };
        CliError::Unreachable {
            what: "gateway",
            url: self.base.clone(),
            reason,
        }
    }

    /// The error for a non-success answer, from its `{"error": {...}}` body.
    fn refusal(&self, status: StatusCode, body: &str) -> CliError {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let detail = parsed.as_ref().and_then(|v| v.get("error"));
        let code = detail
            .and_then(|d| d.get("code"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let mut message = detail
            .and_then(|d| d.get("message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("the gateway answered {status}"));
        if let Some(field) = detail.and_then(|d| d.get("field")).and_then(Value::as_str) {
            message = format!("bad {field}: {message}");
        }
        match status {
            StatusCode::UNAUTHORIZED => CliError::Auth(format!(
                "the gateway at {} refused the API key: {message} (check --key / HSI_API_KEY)",
                self.base
            )),
            StatusCode::FORBIDDEN => {
                CliError::Auth(format!("the API key may not do this: {message}"))
            }
            StatusCode::NOT_FOUND => CliError::NotFound(message),
            _ => CliError::Api { code, message },
        }
    }
}
