//! Notification settings: the household's preferences (one row), per-camera settings and
//! quiet hours.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, one_of};
use crate::error::{ApiError, ApiResult};
use crate::pb::{
    CameraNotificationSetting, CreateQuietHoursRequest, DeleteCameraNotificationSettingRequest,
    DeleteCameraNotificationSettingResponse, DeleteQuietHoursRequest, DeleteQuietHoursResponse,
    GetNotificationPreferencesRequest, ListCameraNotificationSettingsRequest,
    ListCameraNotificationSettingsResponse, ListQuietHoursRequest, ListQuietHoursResponse,
    NotificationPreferences, QuietHoursPeriod, UpdateCameraNotificationSettingRequest,
    UpdateNotificationPreferencesRequest, UpdateQuietHoursRequest,
};
use chrono::{NaiveTime, Timelike};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};
use serde_json::json;
use uuid::Uuid;

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("GetNotificationPreferences", Scope::Read),
    ("UpdateNotificationPreferences", Scope::Admin),
    ("ListCameraNotificationSettings", Scope::Read),
    ("UpdateCameraNotificationSetting", Scope::Admin),
    ("DeleteCameraNotificationSetting", Scope::Admin),
    ("ListQuietHours", Scope::Read),
    ("CreateQuietHours", Scope::Admin),
    ("UpdateQuietHours", Scope::Admin),
    ("DeleteQuietHours", Scope::Admin),
];

const SOUNDS: &[&str] = &["none", "default", "alert", "chime", "urgent"];
/// Risk levels, most severe first (the order answers keep).
const RISK_LEVELS: &[&str] = &["critical", "high", "medium", "low"];
const DAYS: &[&str] = &["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const LABEL_MAX: usize = 255;

fn statement(app: &App, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(app.db.get_database_backend(), sql, values)
}

/// Keeps the members of `allowed` that `given` names (lower-cased, repeats dropped), in
/// `allowed`'s order; refuses anything else, naming `field[index]`.
fn subset(field: &str, given: &[String], allowed: &[&str]) -> ApiResult<Vec<String>> {
    let mut wanted = Vec::with_capacity(given.len());
    for (index, item) in given.iter().enumerate() {
        let item = item.trim().to_ascii_lowercase();
        one_of(&format!("{field}[{index}]"), &item, allowed)?;
        wanted.push(item);
    }
    Ok(allowed
        .iter()
        .filter(|member| wanted.iter().any(|w| w == *member))
        .map(|member| (*member).to_owned())
        .collect())
}

// --- preferences -------------------------------------------------------------------

#[derive(Debug, FromQueryResult)]
struct PreferencesRow {
    enabled: bool,
    sound: String,
    risk_filters: Vec<String>,
}

impl From<PreferencesRow> for NotificationPreferences {
    fn from(row: PreferencesRow) -> Self {
        Self {
            enabled: row.enabled,
            sound: row.sound,
            risk_filters: row.risk_filters,
        }
    }
}

async fn preferences(app: &App) -> ApiResult<NotificationPreferences> {
    PreferencesRow::find_by_statement(statement(
        app,
        "SELECT enabled, sound, risk_filters::text[] AS risk_filters FROM notification_preferences WHERE id = 1",
        vec![],
    ))
    .one(&app.db)
    .await?
    .map(NotificationPreferences::from)
    // The migration creates the row; only a hand-edited database lacks it.
    .ok_or_else(|| ApiError::internal("the notification preferences row (id 1) is missing"))
}

pub async fn get_preferences(
    app: &App,
    _caller: &Caller,
    _req: GetNotificationPreferencesRequest,
) -> ApiResult<NotificationPreferences> {
    preferences(app).await
}

pub async fn update_preferences(
    app: &App,
    caller: &Caller,
    req: UpdateNotificationPreferencesRequest,
) -> ApiResult<NotificationPreferences> {
    let entry = Entry::new("notification_preferences.update", "notification_preferences")
        .id(1)
        .details(json!({"enabled": req.enabled, "sound": req.sound, "risk_filters": req.risk_filters}));
    audited(&app.db, caller, entry, async {
        if let Some(sound) = &req.sound {
            one_of("sound", sound, SOUNDS)?;
        }
        let filters = subset("risk_filters", &req.risk_filters, RISK_LEVELS)?;
        if req.enabled.is_none() && req.sound.is_none() && filters.is_empty() {
            return Err(ApiError::invalid(
                "enabled",
                "nothing to change: give enabled, sound or risk_filters",
            ));
        }
        let filters: Option<Vec<String>> = (!filters.is_empty()).then_some(filters);
        let changed = app
            .db
            .execute(statement(
                app,
                "UPDATE notification_preferences SET enabled = coalesce($1, enabled), \
                 sound = coalesce($2, sound), \
                 risk_filters = coalesce($3::varchar(20)[], risk_filters) WHERE id = 1",
                vec![req.enabled.into(), req.sound.clone().into(), filters.into()],
            ))
            .await?;
        if changed.rows_affected() == 0 {
            return Err(ApiError::internal("the notification preferences row (id 1) is missing"));
        }
        preferences(app).await
    })
    .await
}

// --- per camera --------------------------------------------------------------------

#[derive(Debug, FromQueryResult)]
struct CameraSettingRow {
    id: Uuid,
    camera_id: String,
    camera_name: String,
    enabled: bool,
    risk_threshold: i32,
}

impl From<CameraSettingRow> for CameraNotificationSetting {
    fn from(row: CameraSettingRow) -> Self {
        Self {
            id: row.id.to_string(),
            camera_id: row.camera_id,
            camera_name: row.camera_name,
            enabled: row.enabled,
            risk_threshold: row.risk_threshold,
        }
    }
}

const SELECT_CAMERA_SETTING: &str = "SELECT s.id, s.camera_id, c.name AS camera_name, s.enabled, \
    s.risk_threshold FROM camera_notification_settings s JOIN cameras c ON c.id = s.camera_id";

pub async fn list_camera_settings(
    app: &App,
    _caller: &Caller,
    _req: ListCameraNotificationSettingsRequest,
) -> ApiResult<ListCameraNotificationSettingsResponse> {
    let sql = format!("{SELECT_CAMERA_SETTING} ORDER BY s.camera_id");
    let rows = CameraSettingRow::find_by_statement(statement(app, &sql, vec![]))
        .all(&app.db)
        .await?;
    Ok(ListCameraNotificationSettingsResponse {
        settings: rows.into_iter().map(CameraNotificationSetting::from).collect(),
    })
}

fn check_camera_id(camera_id: &str) -> ApiResult<()> {
    bounded("camera_id", camera_id, 100, true)
}

pub async fn update_camera_setting(
    app: &App,
    caller: &Caller,
    req: UpdateCameraNotificationSettingRequest,
) -> ApiResult<CameraNotificationSetting> {
    let entry = Entry::new("camera_notification_setting.update", "camera")
        .id(&req.camera_id)
        .details(json!({"enabled": req.enabled, "risk_threshold": req.risk_threshold}));
    audited(&app.db, caller, entry, async {
        check_camera_id(&req.camera_id)?;
        if let Some(threshold) = req.risk_threshold {
            if !(0..=100).contains(&threshold) {
                return Err(ApiError::invalid(
                    "risk_threshold",
                    format!("risk_threshold {threshold} is outside 0..100"),
                ));
            }
        }
        let camera = app
            .db
            .query_one(statement(app, "SELECT 1 AS one FROM cameras WHERE id = $1", vec![req.camera_id.clone().into()]))
            .await?;
        if camera.is_none() {
            return Err(ApiError::not_found(format!("camera {:?}", req.camera_id)));
        }
        app.db
            .execute(statement(
                app,
                "INSERT INTO camera_notification_settings (camera_id, enabled, risk_threshold) \
                 VALUES ($1, coalesce($2, true), coalesce($3, 0)) \
                 ON CONFLICT (camera_id) DO UPDATE SET \
                 enabled = coalesce($2, camera_notification_settings.enabled), \
                 risk_threshold = coalesce($3, camera_notification_settings.risk_threshold)",
                vec![req.camera_id.clone().into(), req.enabled.into(), req.risk_threshold.into()],
            ))
            .await?;
        let sql = format!("{SELECT_CAMERA_SETTING} WHERE s.camera_id = $1");
        CameraSettingRow::find_by_statement(statement(app, &sql, vec![req.camera_id.clone().into()]))
            .one(&app.db)
            .await?
            .map(CameraNotificationSetting::from)
            // Deleted with its camera between the two statements.
            .ok_or_else(|| ApiError::not_found(format!("camera {:?}", req.camera_id)))
    })
    .await
}

pub async fn delete_camera_setting(
    app: &App,
    caller: &Caller,
    req: DeleteCameraNotificationSettingRequest,
) -> ApiResult<DeleteCameraNotificationSettingResponse> {
    let entry = Entry::new("camera_notification_setting.delete", "camera").id(&req.camera_id);
    audited(&app.db, caller, entry, async {
        check_camera_id(&req.camera_id)?;
        let deleted = app
            .db
            .execute(statement(
                app,
                "DELETE FROM camera_notification_settings WHERE camera_id = $1",
                vec![req.camera_id.clone().into()],
            ))
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(ApiError::not_found(format!(
                "a notification setting of camera {:?}",
                req.camera_id
            )));
        }
        Ok(DeleteCameraNotificationSettingResponse {
            camera_id: req.camera_id.clone(),
            deleted: true,
        })
    })
    .await
}

// --- quiet hours -------------------------------------------------------------------

#[derive(Debug, FromQueryResult)]
struct QuietRow {
    id: Uuid,
    label: String,
    start_time: NaiveTime,
    end_time: NaiveTime,
    days: Vec<String>,
}

/// HH:MM, or HH:MM:SS when the seconds are not zero.
fn show_time(time: NaiveTime) -> String {
    if time.second() == 0 {
        time.format("%H:%M").to_string()
    } else {
        time.format("%H:%M:%S").to_string()
    }
}

impl From<QuietRow> for QuietHoursPeriod {
    fn from(row: QuietRow) -> Self {
        Self {
            id: row.id.to_string(),
            label: row.label,
            start_time: show_time(row.start_time),
            end_time: show_time(row.end_time),
            days: row.days,
        }
    }
}

const SELECT_QUIET: &str =
    "SELECT id, label, start_time, end_time, days::text[] AS days FROM quiet_hours_periods";

fn parse_time_of_day(field: &str, text: &str) -> ApiResult<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| {
            ApiError::invalid(field, format!("{field} {text:?} is not a time of day (HH:MM or HH:MM:SS)"))
        })
}

/// The table forbids periods that cross midnight; say how to store one.
fn check_order(start: NaiveTime, end: NaiveTime) -> ApiResult<()> {
    if start < end {
        return Ok(());
    }
    let (s, e) = (show_time(start), show_time(end));
    Err(ApiError::invalid(
        "end_time",
        format!(
            "start_time {s} is not before end_time {e}: a quiet-hours period cannot cross \
             midnight; split an overnight period into two ({s}-23:59:59 and 00:00-{e})"
        ),
    ))
}

fn parse_id(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id.trim()).map_err(|_| ApiError::invalid("id", format!("{id:?} is not a quiet-hours id (a UUID)")))
}

async fn find_quiet(app: &App, id: Uuid) -> ApiResult<QuietRow> {
    let sql = format!("{SELECT_QUIET} WHERE id = $1");
    QuietRow::find_by_statement(statement(app, &sql, vec![id.into()]))
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("quiet-hours period {id}")))
}

pub async fn list_quiet_hours(
    app: &App,
    _caller: &Caller,
    _req: ListQuietHoursRequest,
) -> ApiResult<ListQuietHoursResponse> {
    let sql = format!("{SELECT_QUIET} ORDER BY start_time, end_time, id");
    let rows = QuietRow::find_by_statement(statement(app, &sql, vec![])).all(&app.db).await?;
    Ok(ListQuietHoursResponse {
        periods: rows.into_iter().map(QuietHoursPeriod::from).collect(),
    })
}

pub async fn create_quiet_hours(
    app: &App,
    caller: &Caller,
    req: CreateQuietHoursRequest,
) -> ApiResult<QuietHoursPeriod> {
    let entry = Entry::new("quiet_hours.create", "quiet_hours").details(json!({
        "label": req.label, "start_time": req.start_time, "end_time": req.end_time, "days": req.days,
    }));
    audited(&app.db, caller, entry, async {
        bounded("label", &req.label, LABEL_MAX, true)?;
        let start = parse_time_of_day("start_time", &req.start_time)?;
        let end = parse_time_of_day("end_time", &req.end_time)?;
        check_order(start, end)?;
        let mut days = subset("days", &req.days, DAYS)?;
        if days.is_empty() {
            days = DAYS.iter().map(|d| (*d).to_owned()).collect();
        }
        let id = Uuid::new_v4();
        app.db
            .execute(statement(
                app,
                "INSERT INTO quiet_hours_periods (id, label, start_time, end_time, days) \
                 VALUES ($1, $2, $3, $4, $5::varchar(10)[])",
                vec![id.into(), req.label.trim().to_owned().into(), start.into(), end.into(), days.into()],
            ))
            .await?;
        find_quiet(app, id).await.map(QuietHoursPeriod::from)
    })
    .await
}

pub async fn update_quiet_hours(
    app: &App,
    caller: &Caller,
    req: UpdateQuietHoursRequest,
) -> ApiResult<QuietHoursPeriod> {
    let entry = Entry::new("quiet_hours.update", "quiet_hours").id(&req.id).details(json!({
        "label": req.label, "start_time": req.start_time, "end_time": req.end_time, "days": req.days,
    }));
    audited(&app.db, caller, entry, async {
        let id = parse_id(&req.id)?;
        if let Some(label) = &req.label {
            bounded("label", label, LABEL_MAX, true)?;
        }
        let start = req.start_time.as_deref().map(|t| parse_time_of_day("start_time", t)).transpose()?;
        let end = req.end_time.as_deref().map(|t| parse_time_of_day("end_time", t)).transpose()?;
        let days = subset("days", &req.days, DAYS)?;
        if req.label.is_none() && start.is_none() && end.is_none() && days.is_empty() {
            return Err(ApiError::invalid(
                "label",
                "nothing to change: give label, start_time, end_time or days",
            ));
        }
        let current = find_quiet(app, id).await?;
        let (start, end) = (start.unwrap_or(current.start_time), end.unwrap_or(current.end_time));
        check_order(start, end)?;
        let days = if days.is_empty() { current.days } else { days };
        let label = req.label.as_deref().map_or(current.label, |l| l.trim().to_owned());
        let changed = app
            .db
            .execute(statement(
                app,
                "UPDATE quiet_hours_periods SET label = $2, start_time = $3, end_time = $4, \
                 days = $5::varchar(10)[] WHERE id = $1",
                vec![id.into(), label.into(), start.into(), end.into(), days.into()],
            ))
            .await?;
        if changed.rows_affected() == 0 {
            return Err(ApiError::not_found(format!("quiet-hours period {id}")));
        }
        find_quiet(app, id).await.map(QuietHoursPeriod::from)
    })
    .await
}

pub async fn delete_quiet_hours(
    app: &App,
    caller: &Caller,
    req: DeleteQuietHoursRequest,
) -> ApiResult<DeleteQuietHoursResponse> {
    let entry = Entry::new("quiet_hours.delete", "quiet_hours").id(&req.id);
    audited(&app.db, caller, entry, async {
        let id = parse_id(&req.id)?;
        let deleted = app
            .db
            .execute(statement(app, "DELETE FROM quiet_hours_periods WHERE id = $1", vec![id.into()]))
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(ApiError::not_found(format!("quiet-hours period {id}")));
        }
        Ok(DeleteQuietHoursResponse {
            id: id.to_string(),
            deleted: true,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_are_normalised_and_ordered() {
        let given = vec!["Low".to_owned(), "critical".to_owned(), "low".to_owned()];
        assert_eq!(subset("risk_filters", &given, RISK_LEVELS).unwrap(), ["critical", "low"]);
        let err = subset("days", &["monday".to_owned(), "caturday".to_owned()], DAYS).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("days[1]"));
    }

    #[test]
    fn overnight_periods_are_refused_with_the_split_to_make() {
        let t = |s| parse_time_of_day("t", s).unwrap();
        assert!(check_order(t("12:00"), t("13:00")).is_ok());
        let err = check_order(t("22:00"), t("06:00")).unwrap_err();
        assert!(err.message.contains("22:00-23:59:59 and 00:00-06:00"), "{}", err.message);
        assert!(check_order(t("10:00"), t("10:00")).is_err());
        assert_eq!(show_time(t("06:30:15")), "06:30:15");
        assert!(parse_time_of_day("start_time", "25:00").is_err());
    }
}
