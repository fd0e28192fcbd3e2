//! Testing a rule against the latest events: each event's facts are gathered as the
//! analysis worker gathers them (its detections, each in the enabled zones its ground
//! point falls in, by the worker's own geometry), then hsi-alerts replays the rule over
//! them: the same evaluation, dedup keys and cooldown the engine applies.

use crate::app::App;
use crate::error::ApiResult;
use crate::pb::{RuleTestFailure, RuleTestResult, TestAlertRuleResponse};
use chrono::{DateTime, Utc};
use hsi_alerts::{AlertRule, DetectionFact, EventFacts, Verdict};
use hsi_analysis_worker::geometry::{contains, ground_point, parse_polygon, Point};
use sea_orm::{FromQueryResult, Statement, Value};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, FromQueryResult)]
struct EventRow {
    id: i32,
    camera_id: String,
    started_at: DateTime<Utc>,
    risk_score: Option<i32>,
}

#[derive(Debug, FromQueryResult)]
struct DetectionRow {
    event_id: i32,
    object_type: Option<String>,
    confidence: Option<f64>,
    bbox_x: Option<i32>,
    bbox_y: Option<i32>,
    bbox_width: Option<i32>,
    bbox_height: Option<i32>,
    frame_width: Option<i32>,
    frame_height: Option<i32>,
}

#[derive(Debug, FromQueryResult)]
struct ZoneRow {
    id: String,
    camera_id: String,
    shape: String,
    coordinates: serde_json::Value,
}

fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
}

/// Replays `rule` over the latest `limit` events (newest first in the answer).
pub(super) async fn run(app: &App, rule: &AlertRule, limit: u64) -> ApiResult<TestAlertRuleResponse> {
    let events = EventRow::find_by_statement(statement(
        "SELECT id, camera_id, started_at, risk_score FROM events WHERE deleted_at IS NULL \
         ORDER BY started_at DESC, id DESC LIMIT $1",
        vec![i64::try_from(limit).unwrap_or(i64::MAX).into()],
    ))
    .all(&app.db)
    .await?;
    let facts = facts(app, &events).await?;
    let verdicts = hsi_alerts::replay(rule, &facts);
    let results: Vec<RuleTestResult> = events
        .iter()
        .zip(&verdicts)
        .map(|(event, verdict)| result(rule, event, verdict))
        .collect();
    let would_fire = results.iter().filter(|r| r.would_fire).count();
    Ok(TestAlertRuleResponse {
        events_tested: u32::try_from(results.len()).unwrap_or(u32::MAX),
        would_fire: u32::try_from(would_fire).unwrap_or(u32::MAX),
        results,
    })
}

/// The facts of each event, in the order of `events`.
async fn facts(app: &App, events: &[EventRow]) -> ApiResult<Vec<EventFacts>> {
    let ids: Vec<i32> = events.iter().map(|e| e.id).collect();
    let mut cameras: Vec<String> = events.iter().map(|e| e.camera_id.clone()).collect();
    cameras.sort();
    cameras.dedup();
    // As the worker reads them: in the order they were seen.
    let detections = DetectionRow::find_by_statement(statement(
        "SELECT ed.event_id, d.object_type, d.confidence, d.bbox_x, d.bbox_y, d.bbox_width, \
         d.bbox_height, coalesce(d.frame_width, d.video_width) AS frame_width, \
         coalesce(d.frame_height, d.video_height) AS frame_height \
         FROM event_detections ed JOIN detections d ON d.id = ed.detection_id \
         WHERE ed.event_id = ANY($1) ORDER BY d.detected_at, d.id",
        vec![ids.into()],
    ))
    .all(&app.db)
    .await?;
    let zones = ZoneRow::find_by_statement(statement(
        "SELECT id, camera_id, shape::text AS shape, coordinates FROM camera_zones \
         WHERE enabled AND camera_id = ANY($1) ORDER BY priority DESC, id",
        vec![cameras.into()],
    ))
    .all(&app.db)
    .await?;
    let mut polygons: HashMap<&str, Vec<(&str, Vec<Point>)>> = HashMap::new();
    for zone in &zones {
        if let Some(polygon) = parse_polygon(&zone.coordinates, zone.shape == "rectangle") {
            polygons.entry(zone.camera_id.as_str()).or_default().push((zone.id.as_str(), polygon));
        }
    }
    let camera_of: HashMap<i32, &str> = events.iter().map(|e| (e.id, e.camera_id.as_str())).collect();
    let mut by_event: HashMap<i32, Vec<DetectionFact>> = HashMap::new();
    for row in &detections {
        let camera = camera_of.get(&row.event_id).copied().unwrap_or_default();
        let zones = polygons.get(camera).map_or_else(Vec::new, |polygons| zones_of(row, polygons));
        by_event.entry(row.event_id).or_default().push(DetectionFact {
            object_type: row.object_type.clone().unwrap_or_else(|| "unknown".to_owned()),
            confidence: row.confidence.unwrap_or_default(),
            zone_ids: zones,
        });
    }
    Ok(events
        .iter()
        .map(|event| {
            let detections = by_event.remove(&event.id).unwrap_or_default();
            EventFacts {
                event_id: event.id,
                camera_id: event.camera_id.clone(),
                risk_score: event.risk_score.unwrap_or_default(),
                risk_level: String::new(),
                object_types: object_types(&detections),
                detections,
                occurred_at: event.started_at,
            }
        })
        .collect())
}

/// The zones a detection's ground point is in, in the order of the zones' priority.
fn zones_of(row: &DetectionRow, polygons: &[(&str, Vec<Point>)]) -> Vec<String> {
    let (Some(x), Some(y), Some(w), Some(h), Some(fw), Some(fh)) = (
        row.bbox_x,
        row.bbox_y,
        row.bbox_width,
        row.bbox_height,
        row.frame_width,
        row.frame_height,
    ) else {
        return Vec::new();
    };
    let Some(point) = ground_point(x, y, w, h, fw, fh) else {
        return Vec::new();
    };
    polygons
        .iter()
        .filter(|(_, polygon)| contains(polygon, point))
        .map(|(id, _)| (*id).to_owned())
        .collect()
}

/// Distinct classes, most confident first (reported, not matched on).
fn object_types(detections: &[DetectionFact]) -> Vec<String> {
    let mut best: BTreeMap<&str, f64> = BTreeMap::new();
    for d in detections {
        let entry = best.entry(d.object_type.as_str()).or_insert(0.0);
        *entry = entry.max(d.confidence);
    }
    let mut types: Vec<(&str, f64)> = best.into_iter().collect();
    types.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    types.into_iter().map(|(t, _)| t.to_owned()).collect()
}

fn result(rule: &AlertRule, event: &EventRow, verdict: &Verdict) -> RuleTestResult {
    let mut failures: Vec<RuleTestFailure> = match &verdict.outcome {
        Ok(_) => Vec::new(),
        Err(failures) => failures
            .iter()
            .map(|f| RuleTestFailure {
                condition: f.condition.as_str().to_owned(),
                message: f.message.clone(),
            })
            .collect(),
    };
    if let (Some(holder), Some(key)) = (verdict.suppressed_by, &verdict.dedup_key) {
        failures.push(RuleTestFailure {
            condition: "cooldown".to_owned(),
            message: format!(
                "the alert for event {holder} (dedup key {key:?}) would still hold the rule's \
                 cooldown of {} s",
                rule.cooldown.as_secs()
            ),
        });
    }
    let matched = verdict.outcome.as_ref().ok();
    RuleTestResult {
        event_id: i64::from(event.id),
        camera_id: event.camera_id.clone(),
        started_at: crate::convert::ts(event.started_at),
        risk_score: event.risk_score.unwrap_or_default(),
        would_fire: verdict.would_fire(),
        failures,
        matched_object_type: matched.and_then(|m| m.object_type.clone()),
        matched_confidence: matched.and_then(|m| m.confidence),
        matched_zone_id: matched.and_then(|m| m.zone_id.clone()),
        dedup_key: verdict.dedup_key.clone(),
        suppressed_by_event_id: verdict.suppressed_by.map(i64::from),
    }
}
