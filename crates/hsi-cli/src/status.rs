//! `hsi status`: every part of HSI at a glance. PostgreSQL, Redis, the file-watcher and
//! the workers are checked directly, with the gateway's own health checks run here (so
//! this works while the gateway is down); the gateway is asked for its readiness over
//! HTTP; each `--metrics NAME=URL` is scraped; and the queues' figures follow.

use crate::connect::{connect_database, Direct, Target};
use crate::error::{CliError, CliResult};
use crate::output::{col, text, Column, Output};
use crate::queues::{rows, to_json};
use hsi_api_gateway::pb::GetSystemHealthRequest;
use hsi_api_gateway::resources::system;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Longest the gateway or a metrics endpoint may take to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

const COLUMNS: &[Column] = &[
    col("COMPONENT", |r| text(r, "name")),
    col("STATUS", |r| text(r, "status")),
    col("LATENCY MS", |r| {
        r.get("latency_ms")
            .and_then(Value::as_f64)
            .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.1}"))
    }),
    col("DETAIL", |r| text(r, "detail")),
];

/// `hsi status`: exits 0 when everything serves, with an error naming what does not.
pub async fn status(target: &Target, out: Output, metrics: &[(String, String)]) -> CliResult<()> {
    let settings = target.settings()?;
    // Lazily, so a PostgreSQL that is down is a finding in the table, not an error.
    let db = connect_database(&settings.database.url, true).await?;
    let direct = Direct::new(settings, db)?;
    let health = system::health(&direct.app, &direct.caller, GetSystemHealthRequest {}).await?;
    let mut doc = to_json(&health);
    let mut components: Vec<Value> = rows(&doc, "components").to_vec();
    components.push(gateway(&target.api).await);
    for (name, url) in metrics {
        components.push(scrape(name, url).await);
    }
    let queues = match crate::queues::stats(&direct).await {
        Ok(stats) => rows(&stats, "streams").to_vec(),
        Err(_) => Vec::new(),
    };
    let core_down = components
        .iter()
        .filter(|c| c["name"] == "postgresql" || c["name"] == "redis")
        .any(|c| c["status"] != "serving");
    let not_serving: Vec<String> = components
        .iter()
        .filter(|c| c["status"] != "serving")
        .map(|c| format!("{} ({})", text(c, "name"), text(c, "status")))
        .collect();
    let overall = if core_down {
        "unhealthy"
    } else if not_serving.is_empty() {
        "healthy"
    } else {
        "degraded"
    };
    doc["status"] = json!(overall);
    doc["components"] = json!(components);
    doc["queues"] = json!(queues);
    if out.json {
        out.json_value(&doc)?;
    } else {
        out.line(&format!("HSI is {overall}\n"))?;
        out.table(&doc, &components, COLUMNS)?;
        if !queues.is_empty() {
            out.line("")?;
            out.table(
                &doc,
                &queues,
                &[
                    col("STREAM", |r| text(r, "stream")),
                    col("LENGTH", |r| text(r, "length")),
                    col("PENDING", |r| text(r, "pending")),
                    col("DEAD", |r| text(r, "dead_letters")),
                    col("CONSUMERS", |r| text(r, "consumers")),
                ],
            )?;
        }
    }
    if not_serving.is_empty() {
        Ok(())
    } else {
        Err(CliError::Unhealthy {
            overall: overall.to_owned(),
            parts: not_serving.join(", "),
            core_down,
        })
    }
}

fn component(name: &str, status: &str, detail: String, started: Instant) -> Value {
    json!({
        "name": name,
        "status": status,
        "detail": detail,
        "latency_ms": started.elapsed().as_secs_f64() * 1000.0,
    })
}

fn client() -> Option<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .build()
        .ok()
}

/// The gateway's readiness (`/readyz`: it answers, and reaches PostgreSQL and Redis).
async fn gateway(base: &str) -> Value {
    let started = Instant::now();
    let url = format!("{}/readyz", base.trim_end_matches('/'));
    let Some(http) = client() else {
        return component(
            "api-gateway",
            "unknown",
            "no HTTP client".to_owned(),
            started,
        );
    };
    match http.get(&url).send().await {
        Ok(response) if response.status().is_success() => component(
            "api-gateway",
            "serving",
            format!("ready at {base}"),
            started,
        ),
        Ok(response) => {
            let code = response.status();
            let body = response.text().await.unwrap_or_default();
            component(
                "api-gateway",
                "not_serving",
                format!("{url} answered {code}: {}", body.trim()),
                started,
            )
        }
        Err(err) => component(
            "api-gateway",
            "not_serving",
            format!("unreachable at {base}: {}", reason(&err)),
            started,
        ),
    }
}

/// One service's Prometheus endpoint: reachable, and how many metric families it has.
async fn scrape(name: &str, url: &str) -> Value {
    let started = Instant::now();
    let Some(http) = client() else {
        return component(name, "unknown", "no HTTP client".to_owned(), started);
    };
    match http.get(url).send().await {
        Ok(response) if response.status().is_success() => {
            let body = response.text().await.unwrap_or_default();
            let families = body.lines().filter(|l| l.starts_with("# TYPE ")).count();
            component(
                name,
                "serving",
                format!("{url}: {families} metric families"),
                started,
            )
        }
        Ok(response) => component(
            name,
            "not_serving",
            format!("{url} answered {}", response.status()),
            started,
        ),
        Err(err) => component(
            name,
            "not_serving",
            format!("{url} unreachable: {}", reason(&err)),
            started,
        ),
    }
}

fn reason(err: &reqwest::Error) -> String {
    if err.is_connect() {
        "connection refused or no route".to_owned()
    } else if err.is_timeout() {
        format!("no answer within {} s", PROBE_TIMEOUT.as_secs())
    } else {
        err.to_string()
    }
}
