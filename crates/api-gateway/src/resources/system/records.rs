//! What the services recorded in PostgreSQL about themselves: the file ledger's
//! refusals, GPU samples, and the times that make up the pipeline's latency.

use super::*;
use crate::convert::bounded;
use crate::paging;
use crate::pb::{
    GetPipelineLatencyRequest, GpuStatsSample, ListGpuStatsRequest, ListGpuStatsResponse,
    ListRefusedFilesRequest, ListRefusedFilesResponse, PipelineLatency, PipelineLatencyStage,
    RefusedFile,
};
use sea_orm::FromQueryResult;

#[derive(Debug, FromQueryResult)]
struct RefusedRow {
    id: i64,
    camera_id: Option<String>,
    path: String,
    state: String,
    reason: Option<String>,
    detail: Option<String>,
    size_bytes: i64,
    media_kind: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<RefusedRow> for RefusedFile {
    fn from(row: RefusedRow) -> Self {
        Self {
            id: row.id,
            camera_id: row.camera_id,
            path: row.path,
            state: row.state,
            reason: row.reason.unwrap_or_default(),
            detail: row.detail,
            size_bytes: row.size_bytes,
            media_kind: row.media_kind,
            recorded_at: ts(row.created_at),
            updated_at: ts(row.updated_at),
        }
    }
}

/// Refused and abandoned files, newest first, paged by (recorded time, id).
pub async fn refused_files(
    app: &App,
    _caller: &Caller,
    req: ListRefusedFilesRequest,
) -> ApiResult<ListRefusedFilesResponse> {
    bounded("camera_id", &req.camera_id, 100, false)?;
    bounded("reason", &req.reason, 40, false)?;
    let since = opt_time("since", req.since.as_deref())?;
    let until = opt_time("until", req.until.as_deref())?;
    let limit = paging::limit(req.limit)?;
    let after = paging::decode::<(i64, i64)>(&req.cursor)?;
    let after_time = match after {
        Some((micros, _)) => Some(DateTime::from_timestamp_micros(micros).ok_or_else(|| {
            ApiError::invalid("cursor", "the cursor is not one this API gave out")
        })?),
        None => None,
    };
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let rows = RefusedRow::find_by_statement(statement(
        app,
        "SELECT id, camera_id, path, state::text AS state, refusal_reason AS reason, \
         refusal_detail AS detail, size_bytes, media_kind, created_at, updated_at \
         FROM media_files WHERE state IN ('refused', 'abandoned') \
         AND ($1::varchar IS NULL OR camera_id = $1) \
         AND ($2::varchar IS NULL OR refusal_reason = $2) \
         AND ($3::timestamptz IS NULL OR created_at >= $3) \
         AND ($4::timestamptz IS NULL OR created_at < $4) \
         AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6)) \
         ORDER BY created_at DESC, id DESC LIMIT $7",
        vec![
            nonempty(&req.camera_id).into(),
            nonempty(&req.reason).into(),
            since.into(),
            until.into(),
            after_time.into(),
            after.map_or(0, |(_, id)| id).into(),
            (limit as i64 + 1).into(),
        ],
    ))
    .all(&app.db)
    .await?;
    let (rows, next_cursor, has_more) = paging::page(rows, limit, |last| (last.created_at.timestamp_micros(), last.id));
    Ok(ListRefusedFilesResponse {
        files: rows.into_iter().map(RefusedFile::from).collect(),
        next_cursor,
        has_more,
    })
}

#[derive(Debug, FromQueryResult)]
struct GpuRow {
    recorded_at: DateTime<Utc>,
    gpu_name: Option<String>,
    gpu_utilization: Option<f64>,
    memory_used: Option<i32>,
    memory_total: Option<i32>,
    temperature: Option<f64>,
    power_usage: Option<f64>,
    inference_fps: Option<f64>,
}

pub async fn gpu_stats(
    app: &App,
    _caller: &Caller,
    req: ListGpuStatsRequest,
) -> ApiResult<ListGpuStatsResponse> {
    let (since, until) = window(req.since.as_deref(), req.until.as_deref())?;
    let limit = paging::limit(req.limit)?;
    let rows = GpuRow::find_by_statement(statement(
        app,
        "SELECT recorded_at, gpu_name, gpu_utilization, memory_used, memory_total, temperature, \
         power_usage, inference_fps FROM gpu_stats WHERE recorded_at >= $1 AND recorded_at <= $2 \
         ORDER BY recorded_at DESC, id DESC LIMIT $3",
        vec![since.into(), until.into(), (limit as i64 + 1).into()],
    ))
    .all(&app.db)
    .await?;
    let (rows, has_more) = paging::split(rows, limit);
    Ok(ListGpuStatsResponse {
        samples: rows
            .into_iter()
            .map(|row| GpuStatsSample {
                recorded_at: ts(row.recorded_at),
                gpu_name: row.gpu_name,
                gpu_utilization: row.gpu_utilization,
                memory_used_mb: row.memory_used,
                memory_total_mb: row.memory_total,
                temperature_c: row.temperature,
                power_w: row.power_usage,
                inference_fps: row.inference_fps,
            })
            .collect(),
        has_more,
    })
}

/// A stage of the pipeline: its name, what it measures, and a query answering `ms` for
/// each item that finished the stage between $1 and $2.
const STAGES: &[(&str, &str, &str)] = &[
    (
        "file_to_processed",
        "from the file-watcher seeing a file to the detection-worker finishing it",
        "SELECT extract(epoch FROM p.processed_at - m.observed_at) * 1000 AS ms \
         FROM processed_files p JOIN media_files m ON m.id = p.media_file_id \
         WHERE p.processed_at >= $1 AND p.processed_at <= $2",
    ),
    (
        "detection_to_event",
        "from a detection to its being judged into an event",
        "SELECT extract(epoch FROM ed.created_at - d.detected_at) * 1000 AS ms \
         FROM event_detections ed JOIN detections d ON d.id = ed.detection_id \
         WHERE ed.created_at >= $1 AND ed.created_at <= $2",
    ),
    (
        "event_to_alert",
        "from an alert being raised for an event to its delivery",
        "SELECT extract(epoch FROM a.delivered_at - a.created_at) * 1000 AS ms \
         FROM alerts a WHERE a.delivered_at >= $1 AND a.delivered_at <= $2",
    ),
];

#[derive(Debug, FromQueryResult)]
struct LatencyRow {
    n: i64,
    p50: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
    max_ms: Option<f64>,
}

pub async fn latency(
    app: &App,
    _caller: &Caller,
    req: GetPipelineLatencyRequest,
) -> ApiResult<PipelineLatency> {
    let (since, until) = window(req.since.as_deref(), req.until.as_deref())?;
    let mut stages = Vec::with_capacity(STAGES.len());
    for (stage, description, inner) in STAGES {
        let sql = format!(
            "SELECT count(*) AS n, \
             percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, \
             percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95, \
             percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, \
             max(ms) AS max_ms FROM (SELECT ms::float8 AS ms FROM ({inner}) i) s"
        );
        let row =
            LatencyRow::find_by_statement(statement(app, &sql, vec![since.into(), until.into()]))
                .one(&app.db)
                .await?
                .ok_or_else(|| ApiError::internal("an aggregate answered no row"))?;
        stages.push(PipelineLatencyStage {
            stage: (*stage).to_owned(),
            description: (*description).to_owned(),
            count: u64::try_from(row.n).unwrap_or_default(),
            p50_ms: row.p50,
            p95_ms: row.p95,
            p99_ms: row.p99,
            max_ms: row.max_ms,
        });
    }
    Ok(PipelineLatency {
        since: ts(since),
        until: ts(until),
        stages,
    })
}
