//! `hsi logs`: the services' warnings and errors (the `logs` table), newest first,
//! filtered and searched through the gateway's API.

use crate::api::ApiClient;
use crate::error::CliResult;
use crate::output::{col, text, time, Column, Output};
use crate::queues::rows;
use serde_json::Value;

const COLUMNS: &[Column] = &[
    col("TIME", |r| time(r, "timestamp")),
    col("LEVEL", |r| text(r, "level")),
    col("SERVICE", |r| text(r, "component")),
    col("CAMERA", |r| text(r, "camera_id")),
    col("EVENT", |r| text(r, "event_id")),
    col("MESSAGE", |r| text(r, "message")),
];

/// What `hsi logs` asks for; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub q: Option<String>,
    pub level: Option<String>,
    pub service: Option<String>,
    pub camera: Option<String>,
    pub event: Option<i32>,
    pub since: Option<String>,
    pub limit: u32,
}

impl LogFilter {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![("limit", self.limit.to_string())];
        let optional = [
            ("q", self.q.clone()),
            ("level", self.level.clone()),
            ("component", self.service.clone()),
            ("camera_id", self.camera.clone()),
            ("event_id", self.event.map(|e| e.to_string())),
            ("since", self.since.clone()),
        ];
        query.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
        query
    }
}

/// `hsi logs [TEXT] [--level ...]`.
pub async fn logs(api: &ApiClient, out: Output, filter: &LogFilter) -> CliResult<()> {
    let doc = api.get("/logs", &filter.query()).await?;
    out.table(&doc, rows(&doc, "entries"), COLUMNS)?;
    if !out.json && doc.get("has_more").and_then(Value::as_bool) == Some(true) {
        out.note("more lines match; raise --limit or narrow with --since or --level");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_given_filters_are_sent_under_the_apis_names() {
        let filter = LogFilter {
            q: Some("webhook".into()),
            service: Some("analysis-worker".into()),
            event: Some(7),
            limit: 20,
            ..LogFilter::default()
        };
        assert_eq!(
            filter.query(),
            [
                ("limit", "20".to_owned()),
                ("q", "webhook".to_owned()),
                ("component", "analysis-worker".to_owned()),
                ("event_id", "7".to_owned()),
            ]
        );
    }
}
