//! `hsi events`: list, search and tail events through the gateway's API. `tail` holds
//! the gateway's `/ws/events` WebSocket open and prints each new event as it is judged
//! (one JSON object per line with `--json`), until Ctrl-C.

use crate::api::ApiClient;
use crate::error::{CliError, CliResult};
use crate::output::{col, show, text, time, Column, Output};
use crate::queues::rows;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const COLUMNS: &[Column] = &[
    col("ID", |r| text(r, "id")),
    col("STARTED", |r| time(r, "started_at")),
    col("CAMERA", |r| text(r, "camera_id")),
    col("RISK", |r| {
        format!("{} {}", text(r, "risk_score"), text(r, "risk_level"))
    }),
    col("OBJECTS", |r| text(r, "object_types")),
    col("REVIEWED", |r| text(r, "reviewed")),
    col("SUMMARY", |r| text(r, "summary")),
];

/// Filters shared by `list` and `search`.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub cameras: Vec<String>,
    pub risk_levels: Vec<String>,
    /// RFC 3339: started at or after.
    pub since: Option<String>,
    pub limit: u32,
}

impl EventFilter {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![("limit", self.limit.to_string())];
        query.extend(self.cameras.iter().map(|c| ("camera_ids", c.clone())));
        query.extend(self.risk_levels.iter().map(|r| ("risk_levels", r.clone())));
        if let Some(since) = &self.since {
            query.push(("start_time", since.clone()));
        }
        query
    }
}

/// `hsi events list`: newest first.
pub async fn list(api: &ApiClient, out: Output, filter: &EventFilter) -> CliResult<()> {
    let doc = api.get("/events", &filter.query()).await?;
    out.table(&doc, rows(&doc, "events"), COLUMNS)?;
    more_note(out, &doc);
    Ok(())
}

/// `hsi events search TEXT`: full text over summaries and reasoning, best first.
pub async fn search(api: &ApiClient, out: Output, q: &str, filter: &EventFilter) -> CliResult<()> {
    let mut query = filter.query();
    query.push(("q", q.to_owned()));
    let doc = api.get("/events/search", &query).await?;
    // A hit is {event, rank, highlights}: the table shows its event.
    let events: Vec<Value> = rows(&doc, "hits")
        .iter()
        .map(|hit| hit.get("event").cloned().unwrap_or(Value::Null))
        .collect();
    out.table(&doc, &events, COLUMNS)?;
    more_note(out, &doc);
    Ok(())
}

fn more_note(out: Output, doc: &Value) {
    if !out.json && doc.get("has_more").and_then(Value::as_bool) == Some(true) {
        out.note("more events match; raise --limit or narrow with --since");
    }
}

/// `hsi events tail [--after ID]`: until Ctrl-C or the gateway closes the socket.
pub async fn tail(api: &ApiClient, out: Output, after: Option<i64>) -> CliResult<()> {
    let ws_base = if let Some(rest) = api.base().strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        format!("ws://{}", api.base().trim_start_matches("http://"))
    };
    let mut url = format!("{ws_base}/ws/events");
    if let Some(after) = after {
        url.push_str(&format!("?after_event_id={after}"));
    }
    let unreachable = |reason: String| CliError::Unreachable {
        what: "gateway",
        url: api.base().to_owned(),
        reason,
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|err| CliError::Usage(format!("--api {:?}: {err}", api.base())))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {}", api.key().expose()))
        .map_err(|_| CliError::Usage("the API key holds characters no header may".to_owned()))?;
    request.headers_mut().insert("authorization", bearer);
    let (mut socket, _) =
        tokio_tungstenite::connect_async(request)
            .await
            .map_err(|err| match err {
                tokio_tungstenite::tungstenite::Error::Http(response) => {
                    refused_upgrade(api, response.status().as_u16(), response.body().as_deref())
                }
                other => unreachable(other.to_string()),
            })?;
    if !out.json {
        out.note("waiting for new events (Ctrl-C to stop)");
        out.line(&tail_line(
            &COLUMNS
                .iter()
                .map(|c| c.heading.to_owned())
                .collect::<Vec<_>>(),
        ))?;
    }
    loop {
        let frame = tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                // Closing politely lets the gateway free the watcher at once.
                let _ = socket.close(None).await;
                return Ok(());
            }
            frame = socket.next() => frame,
        };
        let text = match frame {
            None => {
                return Err(unreachable(
                    "the gateway closed the event stream".to_owned(),
                ))
            }
            Some(Err(err)) => return Err(unreachable(format!("the event stream broke: {err}"))),
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Ping(payload))) => {
                let _ = socket.send(Message::Pong(payload)).await;
                continue;
            }
            Some(Ok(Message::Close(frame))) => {
                let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                return Err(unreachable(format!(
                    "the gateway ended the event stream: {reason}"
                )));
            }
            Some(Ok(_)) => continue,
        };
        let message: Value = serde_json::from_str(text.as_str())
            .map_err(|err| CliError::Other(format!("an event frame is not JSON: {err}")))?;
        if let Some(error) = message.get("error") {
            return Err(CliError::Other(format!(
                "the gateway ended the event stream: {}",
                show(Some(error))
            )));
        }
        if out.json {
            out.line(&serde_json::to_string(&message).unwrap_or_default())?;
        } else if let Some(event) = message.get("event") {
            let cells: Vec<String> = COLUMNS.iter().map(|c| (c.cell)(event)).collect();
            out.line(&tail_line(&cells))?;
        }
    }
}

/// One line of the live table: fixed widths, since later rows cannot be measured now.
fn tail_line(cells: &[String]) -> String {
    const WIDTHS: [usize; 6] = [8, 20, 16, 14, 20, 8];
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        match WIDTHS.get(i) {
            Some(width) => line.push_str(&format!("{cell:width$}  ")),
            None => line.push_str(cell),
        }
    }
    line.trim_end().to_owned()
}

/// The error for a WebSocket upgrade the gateway answered with an error status.
fn refused_upgrade(api: &ApiClient, status: u16, body: Option<&[u8]>) -> CliError {
    let message = body
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| format!("HTTP {status}"));
    match status {
        401 => CliError::Auth(format!(
            "the gateway at {} refused the API key: {message} (check --key / HSI_API_KEY)",
            api.base()
        )),
        403 => CliError::Auth(format!("the API key may not do this: {message}")),
        _ => CliError::Api {
            code: String::new(),
            message,
        },
    }
}
