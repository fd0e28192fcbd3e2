//! Feedback on events: one verdict per event (given again, it replaces the last), and
//! per-camera counts with the false-positive rate.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, one_of, ts};
use crate::error::{ApiError, ApiResult};
use crate::pb::{
    CameraFeedbackStats, EventFeedback, FeedbackStats, GetEventFeedbackRequest,
    GetFeedbackStatsRequest, SubmitEventFeedbackRequest,
};
use crate::resources::events::check_event_id;
use crate::resources::events::query::{time_range, Conditions, RISK_LEVELS};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("SubmitEventFeedback", Scope::Operator),
    ("GetEventFeedback", Scope::Read),
    ("GetFeedbackStats", Scope::Read),
];

pub const FEEDBACK_TYPES: &[&str] = &["correct", "false_positive", "missed_threat", "severity_wrong"];
const NOTES_MAX: usize = 10_000;

#[derive(Debug, FromQueryResult)]
struct FeedbackRow {
    id: i32,
    event_id: i32,
    feedback_type: String,
    expected_severity: Option<String>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<FeedbackRow> for EventFeedback {
    fn from(row: FeedbackRow) -> Self {
        Self {
            id: i64::from(row.id),
            event_id: i64::from(row.event_id),
            // The seed system's "accurate" is today's "correct".
            feedback_type: if row.feedback_type == "accurate" {
                "correct".to_owned()
            } else {
                row.feedback_type
            },
            expected_severity: row.expected_severity,
            notes: row.notes,
            created_at: ts(row.created_at),
        }
    }
}

const COLUMNS: &str = "id, event_id, feedback_type, expected_severity, notes, created_at";

fn statement(app: &App, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(app.db.get_database_backend(), sql, values)
}

async fn event_exists(app: &App, id: i32) -> ApiResult<()> {
    let found = app
        .db
        .query_one(statement(app, "SELECT 1 FROM events WHERE id = $1", vec![id.into()]))
        .await?;
    found
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found(format!("event {id}")))
}

/// Records the feedback on an event, replacing any given before; answers what is stored.
pub async fn submit(app: &App, caller: &Caller, req: SubmitEventFeedbackRequest) -> ApiResult<EventFeedback> {
    let entry = Entry::new("event.feedback", "event").id(req.event_id).details(serde_json::json!({
        "feedback_type": req.feedback_type,
        "expected_severity": req.expected_severity,
    }));
    audited(&app.db, caller, entry, async {
        let event_id = check_event_id("event_id", req.event_id)?;
        one_of("feedback_type", &req.feedback_type, FEEDBACK_TYPES)?;
        match (req.feedback_type.as_str(), &req.expected_severity) {
            ("severity_wrong", None) => {
                return Err(ApiError::invalid(
                    "expected_severity",
                    "expected_severity is required when feedback_type is severity_wrong",
                ));
            }
            ("severity_wrong", Some(level)) => one_of("expected_severity", level, RISK_LEVELS)?,
            (_, Some(_)) => {
                return Err(ApiError::invalid(
                    "expected_severity",
                    "expected_severity is only given when feedback_type is severity_wrong",
                ));
            }
            (_, None) => {}
        }
        if let Some(notes) = &req.notes {
            bounded("notes", notes, NOTES_MAX, false)?;
        }
        let notes = req.notes.as_ref().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        event_exists(app, event_id).await?;
        FeedbackRow::find_by_statement(statement(
            app,
            &format!(
                "INSERT INTO event_feedback (event_id, feedback_type, expected_severity, notes) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (event_id) DO UPDATE SET feedback_type = EXCLUDED.feedback_type, \
                 expected_severity = EXCLUDED.expected_severity, notes = EXCLUDED.notes, \
                 created_at = now() RETURNING {COLUMNS}"
            ),
            vec![
                event_id.into(),
                req.feedback_type.clone().into(),
                req.expected_severity.clone().into(),
                notes.into(),
            ],
        ))
        .one(&app.db)
        .await?
        .map(EventFeedback::from)
        .ok_or_else(|| ApiError::internal("the feedback was not stored"))
    })
    .await
}

pub async fn get(app: &App, _caller: &Caller, req: GetEventFeedbackRequest) -> ApiResult<EventFeedback> {
    let event_id = check_event_id("event_id", req.event_id)?;
    let row = FeedbackRow::find_by_statement(statement(
        app,
        &format!("SELECT {COLUMNS} FROM event_feedback WHERE event_id = $1"),
        vec![event_id.into()],
    ))
    .one(&app.db)
    .await?;
    match row {
        Some(row) => Ok(row.into()),
        None => {
            event_exists(app, event_id).await?;
            Err(ApiError::not_found(format!("feedback on event {event_id}")))
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    camera_id: String,
    camera_name: String,
    correct: i64,
    false_positive: i64,
    missed_threat: i64,
    severity_wrong: i64,
    total: i64,
}

impl From<StatsRow> for CameraFeedbackStats {
    fn from(row: StatsRow) -> Self {
        Self {
            false_positive_rate: rate(row.false_positive, row.total),
            camera_id: row.camera_id,
            camera_name: row.camera_name,
            correct: row.correct,
            false_positive: row.false_positive,
            missed_threat: row.missed_threat,
            severity_wrong: row.severity_wrong,
            total: row.total,
        }
    }
}

fn rate(part: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

/// Counts by type per camera, for feedback on events that started in the time range.
pub async fn stats(app: &App, _caller: &Caller, req: GetFeedbackStatsRequest) -> ApiResult<FeedbackStats> {
    let (start, end) = time_range(
        "start_time",
        req.start_time.as_deref(),
        "end_time",
        req.end_time.as_deref(),
    )?;
    let mut sql = Conditions::default();
    if let Some(camera) = &req.camera_id {
        bounded("camera_id", camera, 100, true)?;
        let p = sql.bind(camera.trim().to_owned());
        sql.push(format!("e.camera_id = {p}"));
    }
    if let Some(start) = start {
        let p = sql.bind(start);
        sql.push(format!("e.started_at >= {p}"));
    }
    if let Some(end) = end {
        let p = sql.bind(end);
        sql.push(format!("e.started_at < {p}"));
    }
    let text = format!(
        "SELECT e.camera_id, c.name AS camera_name, \
         count(*) FILTER (WHERE f.feedback_type IN ('correct', 'accurate')) AS correct, \
         count(*) FILTER (WHERE f.feedback_type = 'false_positive') AS false_positive, \
         count(*) FILTER (WHERE f.feedback_type = 'missed_threat') AS missed_threat, \
         count(*) FILTER (WHERE f.feedback_type = 'severity_wrong') AS severity_wrong, \
         count(*) AS total \
         FROM event_feedback f JOIN events e ON e.id = f.event_id JOIN cameras c ON c.id = e.camera_id \
         {} GROUP BY e.camera_id, c.name ORDER BY e.camera_id",
        sql.where_clause()
    );
    let cameras: Vec<CameraFeedbackStats> = StatsRow::find_by_statement(statement(app, &text, sql.values))
        .all(&app.db)
        .await?
        .into_iter()
        .map(CameraFeedbackStats::from)
        .collect();
    let mut overall = CameraFeedbackStats::default();
    for camera in &cameras {
        overall.correct += camera.correct;
        overall.false_positive += camera.false_positive;
        overall.missed_threat += camera.missed_threat;
        overall.severity_wrong += camera.severity_wrong;
        overall.total += camera.total;
    }
    overall.false_positive_rate = rate(overall.false_positive, overall.total);
    Ok(FeedbackStats {
        cameras,
        overall: Some(overall),
    })
}
