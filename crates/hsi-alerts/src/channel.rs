//! Delivery channels as a rule lists them in `channels`.
//!
//! A channel that cannot be used (an unknown type, a webhook without a valid URL) does
//! not make the whole rule malformed: the alert is still recorded, and the channel is
//! reported as a failed delivery with the reason, where an operator will see it.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// One entry of a rule's `channels` array.
#[derive(Debug, Clone, PartialEq)]
pub enum Channel {
    Webhook(WebhookTarget),
    /// A channel that will be recorded as failed: an unknown type or a bad configuration.
    Unusable {
        kind: String,
        reason: String,
    },
}

/// Where and how to POST an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookTarget {
    pub url: Url,
    pub headers: HeaderMap,
    /// Per-attempt timeout; the engine's `webhook_timeout_ms` when unset.
    pub timeout: Option<Duration>,
}

// Unknown keys are ignored: a UI may keep labels such as "name" next to a channel.
#[derive(Deserialize)]
struct RawWebhook {
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    timeout_ms: Option<u64>,
}

impl Channel {
    /// The channel's type as it appears in metrics and delivery results.
    pub fn kind(&self) -> &str {
        match self {
            Self::Webhook(_) => "webhook",
            Self::Unusable { kind, .. } => kind,
        }
    }

    /// Parses a `channels` array as stored on a rule or an alert: one channel per element
    /// (see [`Channel::Unusable`]); anything but an array holds no channel.
    pub fn list(value: Option<&Value>) -> Vec<Self> {
        match value {
            Some(Value::Array(items)) => items.iter().map(Self::parse).collect(),
            _ => Vec::new(),
        }
    }

    /// Where the channel sends, without secrets; empty for an unusable channel.
    pub fn display_target(&self) -> String {
        match self {
            Self::Webhook(target) => target.display_target(),
            Self::Unusable { .. } => String::new(),
        }
    }

    /// Parses one element of the `channels` array; never fails, see [`Channel::Unusable`].
    pub(crate) fn parse(value: &Value) -> Self {
        let Some(kind) = value.get("type").and_then(Value::as_str) else {
            return Self::Unusable {
                kind: "unknown".to_owned(),
                reason: format!("channel {value} has no \"type\" string"),
            };
        };
        match kind {
            "webhook" => match WebhookTarget::parse(value) {
                Ok(target) => Self::Webhook(target),
                Err(reason) => Self::Unusable {
                    kind: kind.to_owned(),
                    reason,
                },
            },
            other => Self::Unusable {
                kind: other.to_owned(),
                reason: format!("channel type {other:?} is not supported (supported: webhook)"),
            },
        }
    }
}

impl WebhookTarget {
    fn parse(value: &Value) -> Result<Self, String> {
        let raw =
            RawWebhook::deserialize(value).map_err(|err| format!("webhook channel: {err}"))?;
        let url = Url::parse(&raw.url)
            .map_err(|err| format!("webhook url {:?} is not a valid url: {err}", raw.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "webhook url scheme {:?} is refused (only http and https)",
                url.scheme()
            ));
        }
        if url.host().is_none() {
            return Err(format!("webhook url {:?} has no host", raw.url));
        }
        let mut headers = HeaderMap::new();
        for (name, text) in &raw.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("webhook header name {name:?} is not valid"))?;
            let value = HeaderValue::from_str(text)
                .map_err(|_| format!("webhook header {name:?} has a value that is not valid"))?;
            headers.insert(header, value);
        }
        let timeout = match raw.timeout_ms {
            Some(0) => return Err("webhook timeout_ms must be at least 1".to_owned()),
            other => other.map(Duration::from_millis),
        };
        Ok(Self {
            url,
            headers,
            timeout,
        })
    }

    /// The URL without credentials, query or fragment, which may hold secrets; this is
    /// what delivery results and logs show.
    pub fn display_target(&self) -> String {
        let mut shown = self.url.clone();
        // Cannot fail for http(s) URLs, which are the only ones parsed.
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.set_query(None);
        shown.set_fragment(None);
        shown.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unusable_reason(value: Value) -> String {
        match Channel::parse(&value) {
            Channel::Unusable { reason, .. } => reason,
            Channel::Webhook(target) => panic!("{value} parsed as {target:?}"),
        }
    }

    #[test]
    fn webhook_with_headers_and_timeout() {
        let channel = Channel::parse(&json!({
            "type": "webhook", "url": "https://hooks.example.com/a?token=s",
            "headers": {"Authorization": "Bearer x"}, "timeout_ms": 1500, "name": "ops"
        }));
        let Channel::Webhook(target) = channel else {
            panic!("not a webhook: {channel:?}")
        };
        assert_eq!(target.headers["authorization"], "Bearer x");
        assert_eq!(target.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(target.display_target(), "https://hooks.example.com/a");
    }

    #[test]
    fn bad_webhooks_and_unknown_types_are_unusable_with_a_reason() {
        assert!(unusable_reason(json!({"type": "sms", "to": "+1"})).contains("\"sms\""));
        assert!(unusable_reason(json!({"url": "https://x"})).contains("no \"type\""));
        assert!(unusable_reason(json!({"type": "webhook"})).contains("url"));
        assert!(unusable_reason(json!({"type": "webhook", "url": "nope"})).contains("\"nope\""));
        let ftp = unusable_reason(json!({"type": "webhook", "url": "ftp://example.com/x"}));
        assert!(ftp.contains("\"ftp\""), "{ftp}");
        let header = unusable_reason(json!({
            "type": "webhook", "url": "https://example.com", "headers": {"bad name": "x"}
        }));
        assert!(header.contains("bad name"), "{header}");
        let timeout = unusable_reason(json!({
            "type": "webhook", "url": "https://example.com", "timeout_ms": 0
        }));
        assert!(timeout.contains("timeout_ms"), "{timeout}");
    }

    #[test]
    fn display_target_hides_credentials() {
        let Channel::Webhook(target) = Channel::parse(&json!({
            "type": "webhook", "url": "http://user:pw@10.0.0.5:8080/hook#x"
        })) else {
            panic!("not a webhook")
        };
        assert_eq!(target.display_target(), "http://10.0.0.5:8080/hook");
    }
}
