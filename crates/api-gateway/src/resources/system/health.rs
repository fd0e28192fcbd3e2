//! How each part of HSI is doing. PostgreSQL and Redis are pinged; the detection- and
//! analysis-workers answer the standard gRPC health check; the batch-aggregator, which
//! serves no gRPC, is judged by when its consumers last read their stream; the
//! file-watcher by when it last recorded a file. A part that cannot be reached is a
//! finding, never an error of the call.

use super::queues::{consumers, stream};
use super::*;
use crate::pb::{GetSystemHealthRequest, SystemComponentHealth, SystemHealth};
use hsi_queue::StreamKeys;
use redis::streams::{StreamInfoGroupsReply, StreamRangeReply};
use std::time::Duration;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// Longest any one check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// A consumer that read within this is alive (consumers re-read every few seconds
/// while idle).
const CONSUMER_ACTIVE_MS: u64 = 60_000;
/// A file-watcher that recorded a file within this is evidently working.
const WATCHER_ACTIVE_SECS: i64 = 15 * 60;

const SERVING: &str = "serving";
const NOT_SERVING: &str = "not_serving";
const UNKNOWN: &str = "unknown";

fn component(name: &str, status: &str, detail: impl Into<String>) -> SystemComponentHealth {
    SystemComponentHealth {
        name: name.to_owned(),
        status: status.to_owned(),
        detail: detail.into(),
        latency_ms: None,
    }
}

fn millis(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1000.0
}

pub async fn health(
    app: &App,
    _caller: &Caller,
    _req: GetSystemHealthRequest,
) -> ApiResult<SystemHealth> {
    let (postgres, redis, watcher, detector, aggregator, analysis) = tokio::join!(
        postgres(app),
        redis(app),
        file_watcher(app),
        worker(
            app,
            "detection-worker",
            app.detector.clone(),
            "hsi.v1.DetectorService",
            "files"
        ),
        batch_aggregator(app),
        worker(
            app,
            "analysis-worker",
            app.analysis.clone(),
            "hsi.v1.AnalysisService",
            "batches"
        ),
    );
    let status = if postgres.status != SERVING || redis.status != SERVING {
        "unhealthy"
    } else if [&watcher, &detector, &aggregator, &analysis]
        .iter()
        .all(|c| c.status == SERVING)
    {
        "healthy"
    } else {
        "degraded"
    };
    Ok(SystemHealth {
        status: status.to_owned(),
        components: vec![postgres, redis, watcher, detector, aggregator, analysis],
        checked_at: ts(Utc::now()),
    })
}

async fn postgres(app: &App) -> SystemComponentHealth {
    let started = Instant::now();
    let mut health = match tokio::time::timeout(CHECK_TIMEOUT, app.db.ping()).await {
        Ok(Ok(())) => component("postgresql", SERVING, "answered a ping"),
        Ok(Err(err)) => component("postgresql", NOT_SERVING, format!("ping failed: {err}")),
        Err(_) => component("postgresql", NOT_SERVING, "no answer to a ping within 2 s"),
    };
    health.latency_ms = Some(millis(started.elapsed()));
    health
}

async fn redis(app: &App) -> SystemComponentHealth {
    let started = Instant::now();
    let ping = async {
        let mut conn = app.redis.get().await.map_err(|err| err.to_string())?;
        redis::cmd("PING")
            .query_async::<String>(&mut *conn)
            .await
            .map_err(|err| err.to_string())
    };
    let mut health = match tokio::time::timeout(CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => component("redis", SERVING, "answered PING"),
        Ok(Err(err)) => component("redis", NOT_SERVING, format!("PING failed: {err}")),
        Err(_) => component("redis", NOT_SERVING, "no answer to PING within 2 s"),
    };
    health.latency_ms = Some(millis(started.elapsed()));
    health
}

/// What the consumer group on `stream` says: a status and a sentence.
async fn group_activity(app: &App, stream_name: &str) -> (&'static str, String) {
    let Some(group) = stream(stream_name).and_then(|s| s.group) else {
        return (UNKNOWN, format!("no consumer group reads {stream_name}"));
    };
    let key = StreamKeys::new(&app.settings.redis.key_prefix, stream_name).stream;
    let looked = tokio::time::timeout(CHECK_TIMEOUT, async {
        let members = consumers(app, &key, group).await?;
        let waited = oldest_waiting_ms(app, &key, group).await?;
        Ok::<_, ApiError>((members, waited))
    })
    .await;
    match looked {
        Ok(Ok((members, waited))) => {
            let now_ms = Utc::now().timestamp_millis();
            let waited = waited.map(|added| u64::try_from(now_ms - added).unwrap_or(0));
            judge_group(stream_name, group, members.as_deref(), waited)
        }
        Err(_) | Ok(Err(_)) => (UNKNOWN, "redis did not say who reads the stream".to_owned()),
    }
}

/// When (ms since the epoch, from its entry id) the oldest message not yet given to
/// `group` was added; `None` when nothing waits.
async fn oldest_waiting_ms(app: &App, key: &str, group: &str) -> ApiResult<Option<i64>> {
    let mut conn = app.redis.get().await?;
    let groups: Result<StreamInfoGroupsReply, redis::RedisError> = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(key)
        .query_async(&mut *conn)
        .await;
    let groups = match groups {
        Ok(groups) => groups,
        Err(err) if err.to_string().contains("no such key") => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let Some(info) = groups.groups.into_iter().find(|g| g.name == group) else {
        return Ok(None);
    };
    let next: StreamRangeReply = redis::cmd("XRANGE")
        .arg(key)
        .arg(format!("({}", info.last_delivered_id))
        .arg("+")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut *conn)
        .await?;
    Ok(next
        .ids
        .first()
        .and_then(|entry| entry.id.split('-').next()?.parse().ok()))
}

/// Judges a consumer group from its members (name, pending, idle ms) and how long the
/// oldest message not yet given to it has waited. Before Redis 7.2 a consumer's idle
/// time only resets when it is given a message, so a quiet stream makes a live consumer
/// look idle: idleness alone is no fault, only work left waiting is.
fn judge_group(
    stream: &str,
    group: &str,
    members: Option<&[(String, u64, u64)]>,
    waited_ms: Option<u64>,
) -> (&'static str, String) {
    let members = match members {
        None => {
            return (
                UNKNOWN,
                format!("group {group} has never read the {stream} stream"),
            )
        }
        Some([]) => {
            return (
                UNKNOWN,
                format!("group {group} on the {stream} stream has no consumers"),
            )
        }
        Some(members) => members,
    };
    let idle = members
        .iter()
        .map(|(_, _, idle)| *idle)
        .min()
        .unwrap_or(u64::MAX);
    let active = members
        .iter()
        .filter(|(_, _, idle)| *idle <= CONSUMER_ACTIVE_MS)
        .count();
    let secs = |ms: u64| ms as f64 / 1000.0;
    if active > 0 {
        let detail = format!(
            "{active} of {} consumers read the {stream} stream in the last {} s; the latest {:.1} s ago",
            members.len(),
            CONSUMER_ACTIVE_MS / 1000,
            secs(idle)
        );
        return (SERVING, detail);
    }
    match waited_ms {
        None => (
            SERVING,
            format!(
                "nothing waits on the {stream} stream; its consumers last read {:.1} s ago",
                secs(idle)
            ),
        ),
        Some(waited) if waited < CONSUMER_ACTIVE_MS => (
            SERVING,
            format!(
                "a message arrived on the {stream} stream {:.1} s ago and is not taken yet",
                secs(waited)
            ),
        ),
        Some(waited) => (
            NOT_SERVING,
            format!(
                "the oldest message waiting on the {stream} stream has waited {:.1} s and no \
                 consumer has read for {:.1} s",
                secs(waited),
                secs(idle)
            ),
        ),
    }
}

/// A worker with a gRPC health service, and the stream it consumes for the detail.
async fn worker(
    app: &App,
    name: &str,
    channel: Channel,
    service: &str,
    consumes: &str,
) -> SystemComponentHealth {
    let mut client = HealthClient::new(channel);
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    let (status, detail) = match tokio::time::timeout(CHECK_TIMEOUT, client.check(request)).await {
        Err(_) => (
            UNKNOWN,
            "no answer to the gRPC health check within 2 s".to_owned(),
        ),
        Ok(Err(status)) if status.code() == tonic::Code::NotFound => (
            UNKNOWN,
            format!("its gRPC health service does not know {service}"),
        ),
        Ok(Err(status)) => (
            NOT_SERVING,
            format!(
                "gRPC health check failed ({:?}): {}",
                status.code(),
                status.message()
            ),
        ),
        Ok(Ok(response)) => match ServingStatus::try_from(response.into_inner().status) {
            Ok(ServingStatus::Serving) => (SERVING, format!("gRPC health: {service} serving")),
            Ok(ServingStatus::NotServing) => {
                (NOT_SERVING, format!("gRPC health: {service} not serving"))
            }
            _ => (UNKNOWN, format!("gRPC health: {service} status unknown")),
        },
    };
    let (_, activity) = group_activity(app, consumes).await;
    component(name, status, format!("{detail}; {activity}"))
}

async fn batch_aggregator(app: &App) -> SystemComponentHealth {
    let (status, detail) = group_activity(app, "detections").await;
    component("batch-aggregator", status, detail)
}

/// The file-watcher records every file it looks at and touches a camera with each; it
/// has no other sign of life, and quiet cameras look the same as a stopped watcher.
async fn file_watcher(app: &App) -> SystemComponentHealth {
    let query = app.db.query_one(statement(
        app,
        "SELECT greatest((SELECT created_at FROM media_files ORDER BY id DESC LIMIT 1), \
         (SELECT max(last_seen_at) FROM cameras)) AS last",
        vec![],
    ));
    let last = match tokio::time::timeout(CHECK_TIMEOUT, query).await {
        Ok(Ok(Some(row))) => row
            .try_get::<Option<DateTime<Utc>>>("", "last")
            .ok()
            .flatten(),
        Ok(Ok(None)) => None,
        Ok(Err(_)) | Err(_) => {
            return component(
                "file-watcher",
                UNKNOWN,
                "postgresql did not say when a file was last seen",
            )
        }
    };
    let Some(last) = last else {
        return component("file-watcher", UNKNOWN, "no file has been recorded yet");
    };
    let age = (Utc::now() - last).num_seconds().max(0);
    if age <= WATCHER_ACTIVE_SECS {
        component(
            "file-watcher",
            SERVING,
            format!("recorded a file or camera {age} s ago ({})", ts(last)),
        )
    } else {
        component(
            "file-watcher",
            UNKNOWN,
            format!(
                "nothing recorded for {age} s (since {}): the cameras may be quiet, or the \
                 watcher stopped",
                ts(last)
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(idle: &[u64]) -> Vec<(String, u64, u64)> {
        idle.iter()
            .enumerate()
            .map(|(i, idle)| (format!("c{i}"), 0, *idle))
            .collect()
    }

    #[test]
    fn a_group_is_judged_by_work_left_waiting_not_by_idleness() {
        let judge =
            |m: Option<&[(String, u64, u64)]>, waited| judge_group("files", "g", m, waited).0;
        assert_eq!(judge(None, None), UNKNOWN, "never read");
        assert_eq!(judge(Some(&[]), None), UNKNOWN, "no consumers");
        assert_eq!(
            judge(Some(&members(&[500_000, 1_000])), Some(900_000)),
            SERVING,
            "one reads"
        );
        assert_eq!(
            judge(Some(&members(&[500_000])), None),
            SERVING,
            "quiet, nothing waits"
        );
        assert_eq!(
            judge(Some(&members(&[500_000])), Some(2_000)),
            SERVING,
            "just arrived"
        );
        assert_eq!(
            judge(Some(&members(&[500_000])), Some(120_000)),
            NOT_SERVING,
            "left waiting"
        );
    }
}
