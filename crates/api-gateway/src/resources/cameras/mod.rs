//! Cameras: listed with their activity, renamed, taken offline, soft-deleted and
//! restored; and each camera's latest image.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, one_of, opt_ts, ts};
use crate::error::{ApiError, ApiResult};
use crate::pb::{
    Camera, DeleteCameraRequest, GetCameraLatestImageRequest, GetCameraRequest, ImageBytes,
    ListCamerasRequest, ListCamerasResponse, RestoreCameraRequest, UpdateCameraRequest,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("ListCameras", Scope::Read),
    ("GetCamera", Scope::Read),
    ("GetCameraLatestImage", Scope::Read),
    ("UpdateCamera", Scope::Admin),
    ("DeleteCamera", Scope::Admin),
    ("RestoreCamera", Scope::Admin),
];

const STATUSES: &[&str] = &["online", "offline", "error", "unknown"];
const NAME_MAX: usize = 255;

#[derive(Debug, FromQueryResult)]
struct CameraRow {
    id: String,
    name: String,
    folder_path: String,
    status: String,
    created_at: DateTime<Utc>,
    last_seen_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    event_count: i64,
    unreviewed_event_count: i64,
    last_event_at: Option<DateTime<Utc>>,
}

impl From<CameraRow> for Camera {
    fn from(row: CameraRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            folder_path: row.folder_path,
            status: row.status,
            created_at: ts(row.created_at),
            last_seen_at: opt_ts(row.last_seen_at),
            deleted_at: opt_ts(row.deleted_at),
            event_count: row.event_count,
            unreviewed_event_count: row.unreviewed_event_count,
            last_event_at: opt_ts(row.last_event_at),
        }
    }
}

// The counts come from camera_event_counts, which triggers on events keep (counting a
// camera's events on each list took seconds at a million events); the last event is
// the head of the camera's newest-first index.
const SELECT: &str = "SELECT c.id, c.name, c.folder_path, c.status, c.created_at, c.last_seen_at, \
    c.deleted_at, coalesce(n.events, 0) AS event_count, coalesce(n.unreviewed, 0) AS unreviewed_event_count, \
    (SELECT e.started_at FROM events e WHERE e.camera_id = c.id AND e.deleted_at IS NULL \
     ORDER BY e.started_at DESC, e.id DESC LIMIT 1) AS last_event_at \
    FROM cameras c LEFT JOIN camera_event_counts n ON n.camera_id = c.id";

fn statement(app: &App, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(app.db.get_database_backend(), sql, values)
}

pub async fn list(app: &App, _caller: &Caller, req: ListCamerasRequest) -> ApiResult<ListCamerasResponse> {
    let sql = format!("{SELECT} WHERE ($1 OR c.deleted_at IS NULL) ORDER BY c.id");
    let rows = CameraRow::find_by_statement(statement(app, &sql, vec![req.include_deleted.into()]))
        .all(&app.db)
        .await?;
    Ok(ListCamerasResponse {
        cameras: rows.into_iter().map(Camera::from).collect(),
    })
}

fn check_id(id: &str) -> ApiResult<()> {
    bounded("id", id, 100, true)
}

pub async fn get(app: &App, _caller: &Caller, req: GetCameraRequest) -> ApiResult<Camera> {
    check_id(&req.id)?;
    find(app, &req.id).await
}

async fn find(app: &App, id: &str) -> ApiResult<Camera> {
    let sql = format!("{SELECT} WHERE c.id = $1");
    CameraRow::find_by_statement(statement(app, &sql, vec![id.into()]))
        .one(&app.db)
        .await?
        .map(Camera::from)
        .ok_or_else(|| ApiError::not_found(format!("camera {id:?}")))
}

pub async fn update(app: &App, caller: &Caller, req: UpdateCameraRequest) -> ApiResult<Camera> {
    let entry = Entry::new("camera.update", "camera").id(&req.id).details(serde_json::json!({
        "name": req.name, "status": req.status,
    }));
    audited(&app.db, caller, entry, async {
        check_id(&req.id)?;
        if let Some(name) = &req.name {
            bounded("name", name, NAME_MAX, true)?;
        }
        if let Some(status) = &req.status {
            one_of("status", status, STATUSES)?;
        }
        if req.name.is_none() && req.status.is_none() {
            return Err(ApiError::invalid("name", "nothing to change: give name or status"));
        }
        let changed = app
            .db
            .execute(statement(
                app,
                "UPDATE cameras SET name = coalesce($2, name), status = coalesce($3, status) WHERE id = $1",
                vec![req.id.clone().into(), req.name.clone().map(|n| n.trim().to_owned()).into(), req.status.clone().into()],
            ))
            .await?;
        if changed.rows_affected() == 0 {
            return Err(ApiError::not_found(format!("camera {:?}", req.id)));
        }
        find(app, &req.id).await
    })
    .await
}

async fn set_deleted(app: &App, id: &str, deleted: bool) -> ApiResult<Camera> {
    check_id(id)?;
    let sql = if deleted {
        "UPDATE cameras SET deleted_at = coalesce(deleted_at, now()) WHERE id = $1"
    } else {
        "UPDATE cameras SET deleted_at = NULL WHERE id = $1"
    };
    let changed = app.db.execute(statement(app, sql, vec![id.into()])).await?;
    if changed.rows_affected() == 0 {
        return Err(ApiError::not_found(format!("camera {id:?}")));
    }
    find(app, id).await
}

/// Soft delete: the camera and its events stay, hidden from lists until restored.
pub async fn delete(app: &App, caller: &Caller, req: DeleteCameraRequest) -> ApiResult<Camera> {
    let entry = Entry::new("camera.delete", "camera").id(&req.id);
    audited(&app.db, caller, entry, set_deleted(app, &req.id, true)).await
}

pub async fn restore(app: &App, caller: &Caller, req: RestoreCameraRequest) -> ApiResult<Camera> {
    let entry = Entry::new("camera.restore", "camera").id(&req.id);
    audited(&app.db, caller, entry, set_deleted(app, &req.id, false)).await
}

#[derive(Debug, FromQueryResult)]
struct LatestRow {
    file_path: String,
    thumbnail_path: Option<String>,
    media_type: Option<String>,
}

/// The newest image: a still as delivered, a video through its thumbnail.
pub async fn latest_image(
    app: &App,
    _caller: &Caller,
    req: GetCameraLatestImageRequest,
) -> ApiResult<ImageBytes> {
    check_id(&req.id)?;
    find(app, &req.id).await?;
    let row = LatestRow::find_by_statement(statement(
        app,
        "SELECT file_path, thumbnail_path, media_type FROM detections WHERE camera_id = $1 \
         ORDER BY detected_at DESC, id DESC LIMIT 1",
        vec![req.id.clone().into()],
    ))
    .one(&app.db)
    .await?
    .ok_or_else(|| ApiError::not_found(format!("an image of camera {:?}", req.id)))?;
    let path = match (row.media_type.as_deref(), row.thumbnail_path) {
        (Some("video"), Some(thumbnail)) => thumbnail,
        _ => row.file_path,
    };
    crate::media::read_confined(&app.settings.media.roots, &path).await
}
