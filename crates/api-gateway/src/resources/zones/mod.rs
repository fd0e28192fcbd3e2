//! Zones: named areas of a camera's picture that the analysis-worker places each
//! detection in. Outlines are checked here (see [`outline`]) so the worker never meets
//! one it cannot read.

pub mod grpc;
pub mod outline;
pub mod rest;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::convert::{bounded, one_of, ts};
use crate::error::{ApiError, ApiResult};
use crate::pb::{
    CreateZoneRequest, DeleteZoneRequest, GetZoneRequest, ListZonesRequest, ListZonesResponse,
    UpdateZoneRequest, Zone,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("ListZones", Scope::Read),
    ("GetZone", Scope::Read),
    ("CreateZone", Scope::Admin),
    ("UpdateZone", Scope::Admin),
    ("DeleteZone", Scope::Admin),
];

const ZONE_TYPES: &[&str] = &["entry_point", "driveway", "sidewalk", "yard", "other"];
const SHAPES: &[&str] = &["rectangle", "polygon"];
const DEFAULT_COLOR: &str = "#3B82F6";
const ID_MAX: usize = 100;
const NAME_MAX: usize = 255;
const PRIORITY_MAX: i32 = 1000;

#[derive(Debug, FromQueryResult)]
struct ZoneRow {
    id: String,
    camera_id: String,
    name: String,
    zone_type: String,
    shape: String,
    coordinates: serde_json::Value,
    color: String,
    enabled: bool,
    priority: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ZoneRow> for Zone {
    fn from(row: ZoneRow) -> Self {
        Self {
            points: outline::from_json(&row.coordinates),
            id: row.id,
            camera_id: row.camera_id,
            name: row.name,
            zone_type: row.zone_type,
            shape: row.shape,
            color: row.color,
            enabled: row.enabled,
            priority: row.priority,
            created_at: ts(row.created_at),
            updated_at: ts(row.updated_at),
        }
    }
}

const COLUMNS: &str = "id, camera_id, name, zone_type::text AS zone_type, shape::text AS shape, \
    coordinates, color, enabled, priority, created_at, updated_at";

fn statement(app: &App, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(app.db.get_database_backend(), sql, values)
}

/// A zone id: what the REST path and the analysis-worker's logs can carry unescaped.
fn check_id(field: &str, id: &str) -> ApiResult<()> {
    bounded(field, id, ID_MAX, true)?;
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ApiError::invalid(
            field,
            format!("{id:?} may hold only letters, digits, '-', '_' and '.'"),
        ));
    }
    Ok(())
}

/// `#RRGGBB`, answered in upper case.
fn check_color(color: &str) -> ApiResult<String> {
    let hex = color.strip_prefix('#').unwrap_or_default();
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::invalid(
            "color",
            format!("{color:?} is not a colour like #3B82F6"),
        ));
    }
    Ok(color.to_ascii_uppercase())
}

fn check_priority(priority: i32) -> ApiResult<i32> {
    if !(0..=PRIORITY_MAX).contains(&priority) {
        return Err(ApiError::invalid(
            "priority",
            format!("priority {priority} is outside 0 to {PRIORITY_MAX}"),
        ));
    }
    Ok(priority)
}

/// Whether the camera exists (soft-deleted or not).
async fn camera_state(app: &App, camera_id: &str) -> ApiResult<Option<bool>> {
    let row = app
        .db
        .query_one(statement(
            app,
            "SELECT deleted_at IS NOT NULL AS deleted FROM cameras WHERE id = $1",
            vec![camera_id.into()],
        ))
        .await?;
    row.map(|row| row.try_get::<bool>("", "deleted"))
        .transpose()
        .map_err(ApiError::from)
}

fn no_camera(camera_id: &str) -> ApiError {
    ApiError::not_found(format!("camera {camera_id:?}")).with_field("camera_id")
}

pub async fn list(
    app: &App,
    _caller: &Caller,
    req: ListZonesRequest,
) -> ApiResult<ListZonesResponse> {
    let camera = (!req.camera_id.is_empty()).then_some(req.camera_id.as_str());
    if let Some(camera_id) = camera {
        bounded("camera_id", camera_id, ID_MAX, true)?;
        if camera_state(app, camera_id).await?.is_none() {
            return Err(no_camera(camera_id));
        }
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM camera_zones WHERE ($1::varchar IS NULL OR camera_id = $1) \
         AND ($2::boolean IS NULL OR enabled = $2) ORDER BY camera_id, priority DESC, name, id"
    );
    let rows = ZoneRow::find_by_statement(statement(
        app,
        &sql,
        vec![camera.map(str::to_owned).into(), req.enabled.into()],
    ))
    .all(&app.db)
    .await?;
    Ok(ListZonesResponse {
        zones: rows.into_iter().map(Zone::from).collect(),
    })
}

pub async fn get(app: &App, _caller: &Caller, req: GetZoneRequest) -> ApiResult<Zone> {
    check_id("id", &req.id)?;
    find(app, &req.id).await
}

async fn find(app: &App, id: &str) -> ApiResult<Zone> {
    let sql = format!("SELECT {COLUMNS} FROM camera_zones WHERE id = $1");
    ZoneRow::find_by_statement(statement(app, &sql, vec![id.into()]))
        .one(&app.db)
        .await?
        .map(Zone::from)
        .ok_or_else(|| ApiError::not_found(format!("zone {id:?}")))
}

pub async fn create(app: &App, caller: &Caller, req: CreateZoneRequest) -> ApiResult<Zone> {
    let id = match req.id.as_deref() {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let entry = Entry::new("zone.create", "zone")
        .id(&id)
        .details(serde_json::json!({
            "camera_id": req.camera_id, "name": req.name, "zone_type": req.zone_type,
            "shape": req.shape, "points": req.points.len(), "color": req.color,
            "enabled": req.enabled, "priority": req.priority,
        }));
    audited(&app.db, caller, entry, async {
        check_id("id", &id)?;
        bounded("camera_id", &req.camera_id, ID_MAX, true)?;
        bounded("name", &req.name, NAME_MAX, true)?;
        let zone_type = req.zone_type.as_deref().unwrap_or("other");
        one_of("zone_type", zone_type, ZONE_TYPES)?;
        one_of("shape", &req.shape, SHAPES)?;
        let points = outline::check(&req.shape, &req.points)?;
        let color = check_color(req.color.as_deref().unwrap_or(DEFAULT_COLOR))?;
        let priority = check_priority(req.priority.unwrap_or(0))?;
        match camera_state(app, &req.camera_id).await? {
            None => return Err(no_camera(&req.camera_id)),
            Some(true) => {
                return Err(ApiError::conflict(format!(
                    "camera {:?} is deleted; restore it before drawing zones on it",
                    req.camera_id
                )))
            }
            Some(false) => {}
        }
        let sql = format!(
            "INSERT INTO camera_zones (id, camera_id, name, zone_type, shape, coordinates, color, \
             enabled, priority) VALUES ($1, $2, $3, $4::camera_zone_type_enum, \
             $5::camera_zone_shape_enum, $6, $7, $8, $9) RETURNING {COLUMNS}"
        );
        let row = ZoneRow::find_by_statement(statement(
            app,
            &sql,
            vec![
                id.clone().into(),
                req.camera_id.clone().into(),
                req.name.trim().to_owned().into(),
                zone_type.to_owned().into(),
                req.shape.clone().into(),
                outline::to_json(&points).into(),
                color.into(),
                req.enabled.unwrap_or(true).into(),
                priority.into(),
            ],
        ))
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::internal("the new zone was not returned"))?;
        Ok(Zone::from(row))
    })
    .await
}

pub async fn update(app: &App, caller: &Caller, req: UpdateZoneRequest) -> ApiResult<Zone> {
    let entry = Entry::new("zone.update", "zone")
        .id(&req.id)
        .details(serde_json::json!({
            "name": req.name, "zone_type": req.zone_type, "shape": req.shape,
            "points": (!req.points.is_empty()).then_some(req.points.len()), "color": req.color,
            "enabled": req.enabled, "priority": req.priority,
        }));
    audited(&app.db, caller, entry, async {
        check_id("id", &req.id)?;
        if let Some(name) = &req.name {
            bounded("name", name, NAME_MAX, true)?;
        }
        if let Some(zone_type) = &req.zone_type {
            one_of("zone_type", zone_type, ZONE_TYPES)?;
        }
        if let Some(shape) = &req.shape {
            one_of("shape", shape, SHAPES)?;
        }
        let color = req.color.as_deref().map(check_color).transpose()?;
        let priority = req.priority.map(check_priority).transpose()?;
        let nothing = req.name.is_none()
            && req.zone_type.is_none()
            && req.shape.is_none()
            && req.points.is_empty()
            && color.is_none()
            && req.enabled.is_none()
            && priority.is_none();
        if nothing {
            return Err(ApiError::invalid(
                "body",
                "nothing to change: give at least one field",
            ));
        }
        let current = find(app, &req.id).await?;
        let coordinates = new_outline(&current, req.shape.as_deref(), &req.points)?;
        let sql = "UPDATE camera_zones SET name = coalesce($2, name), \
             zone_type = coalesce($3::camera_zone_type_enum, zone_type), \
             shape = coalesce($4::camera_zone_shape_enum, shape), \
             coordinates = coalesce($5, coordinates), color = coalesce($6, color), \
             enabled = coalesce($7, enabled), priority = coalesce($8, priority) WHERE id = $1";
        let changed = app
            .db
            .execute(statement(
                app,
                sql,
                vec![
                    req.id.clone().into(),
                    req.name.as_deref().map(|n| n.trim().to_owned()).into(),
                    req.zone_type.clone().into(),
                    req.shape.clone().into(),
                    coordinates.into(),
                    color.into(),
                    req.enabled.into(),
                    priority.into(),
                ],
            ))
            .await?;
        if changed.rows_affected() == 0 {
            return Err(ApiError::not_found(format!("zone {:?}", req.id)));
        }
        find(app, &req.id).await
    })
    .await
}

/// The coordinates to store when the shape or points change (`None`: unchanged). A new
/// shape without new points must fit the points the zone has.
fn new_outline(
    current: &Zone,
    shape: Option<&str>,
    points: &[crate::pb::ZonePoint],
) -> ApiResult<Option<serde_json::Value>> {
    let target = shape.unwrap_or(&current.shape);
    if !points.is_empty() {
        return outline::check(target, points).map(|p| Some(outline::to_json(&p)));
    }
    if shape.is_none_or(|s| s == current.shape) {
        return Ok(None);
    }
    outline::check(target, &current.points)
        .map(|p| Some(outline::to_json(&p)))
        .map_err(|err| {
            ApiError::invalid(
                "points",
                format!(
                    "the zone's points do not make a {target} ({}); give new points",
                    err.message
                ),
            )
        })
}

pub async fn delete(app: &App, caller: &Caller, req: DeleteZoneRequest) -> ApiResult<Zone> {
    let entry = Entry::new("zone.delete", "zone").id(&req.id);
    audited(&app.db, caller, entry, async {
        check_id("id", &req.id)?;
        let sql = format!("DELETE FROM camera_zones WHERE id = $1 RETURNING {COLUMNS}");
        ZoneRow::find_by_statement(statement(app, &sql, vec![req.id.clone().into()]))
            .one(&app.db)
            .await?
            .map(Zone::from)
            .ok_or_else(|| ApiError::not_found(format!("zone {:?}", req.id)))
    })
    .await
}
