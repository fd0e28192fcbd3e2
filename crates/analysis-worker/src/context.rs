//! What the judge is told about a batch: the camera, its detections and the zones they
//! were in, how unusual the activity is for that camera and hour, and what other
//! cameras saw just before.

use crate::geometry::{contains, ground_point, parse_polygon};
use crate::sanitize::sanitize_label;
use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use hsi_core::baseline::{expected_now, RateEstimate, DAY, WEEK};
use hsi_db::entities::{
    activity_baselines, camera_zones, cameras, class_baselines, detections, event_detections,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Statement,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The batch being judged.
#[derive(Debug, Clone)]
pub struct BatchInput {
    pub batch_id: String,
    pub camera_id: String,
    pub detection_ids: Vec<i32>,
    pub is_fast_path: bool,
    /// Leave out detections already linked to an event: a new batch may hold detections
    /// that a replayed or re-batched batch already had judged, and a detection belongs to
    /// one event only. Off for a re-analysis (its detections are its event's own) and a
    /// prompt preview.
    pub skip_judged: bool,
}

/// A zone a detection was in.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ZoneFact {
    #[serde(skip)]
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub zone_type: String,
}

/// One detection as the judge sees it.
#[derive(Debug, Clone, Serialize)]
pub struct DetectionFact {
    #[serde(skip)]
    pub id: i32,
    pub object: String,
    pub confidence: f64,
    pub seen_at: DateTime<Utc>,
    pub zones: Vec<ZoneFact>,
    /// The photo or clip it was found in (for vision models).
    #[serde(skip)]
    pub file_path: String,
    /// Its crop, when the detection worker wrote one.
    #[serde(skip)]
    pub thumbnail_path: Option<String>,
}

/// How the activity compares with the camera's history for this hour.
#[derive(Debug, Clone, Serialize)]
pub struct Unusualness {
    pub detections_this_hour: i64,
    pub usual_per_hour: f64,
    pub std_dev: f64,
    pub z_score: Option<f64>,
    /// Per class: (this hour, usual per hour).
    pub by_class: BTreeMap<String, (i64, f64)>,
}

/// What another camera saw recently.
#[derive(Debug, Clone, Serialize)]
pub struct OtherCamera {
    pub camera: String,
    pub objects: BTreeMap<String, i64>,
}

/// Everything gathered for one judgement.
#[derive(Debug, Clone)]
pub struct Context {
    pub batch: BatchInput,
    pub camera_name: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub detections: Vec<DetectionFact>,
    pub zones_configured: bool,
    pub unusualness: Option<Unusualness>,
    pub other_cameras: Vec<OtherCamera>,
}

impl Context {
    /// Distinct object types, most confident first.
    pub fn object_types(&self) -> Vec<String> {
        let mut best: BTreeMap<&str, f64> = BTreeMap::new();
        for d in &self.detections {
            let entry = best.entry(d.object.as_str()).or_insert(0.0);
            *entry = entry.max(d.confidence);
        }
        let mut types: Vec<(&str, f64)> = best.into_iter().collect();
        types.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        types.into_iter().map(|(t, _)| t.to_owned()).collect()
    }
}

/// Why a batch cannot be judged at all.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("camera {0} does not exist")]
    NoCamera(String),
    #[error("none of the batch's {0} detections exist")]
    NoDetections(usize),
    #[error("all of the batch's {0} detections are already in other events")]
    AllJudged(usize),
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

/// The batch an existing event was judged from (its own detections), to judge it again.
pub async fn input_of(
    db: &DatabaseConnection,
    event: &hsi_db::entities::events::Model,
) -> Result<BatchInput, DbErr> {
    let links = event_detections::Entity::find()
        .filter(event_detections::Column::EventId.eq(event.id))
        .all(db)
        .await?;
    Ok(BatchInput {
        batch_id: event.batch_id.clone(),
        camera_id: event.camera_id.clone(),
        detection_ids: links.iter().map(|l| l.detection_id).collect(),
        is_fast_path: event.is_fast_path,
        skip_judged: false,
    })
}

/// Gathers the context of a batch as of `now`.
pub async fn gather(
    db: &DatabaseConnection,
    batch: &BatchInput,
    now: DateTime<Utc>,
    cross_camera_secs: u64,
) -> Result<Context, ContextError> {
    let camera = cameras::Entity::find_by_id(batch.camera_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| ContextError::NoCamera(batch.camera_id.clone()))?;
    let mut query = detections::Entity::find()
        .filter(detections::Column::Id.is_in(batch.detection_ids.clone()));
    if batch.skip_judged {
        query = query.filter(
            detections::Column::Id.not_in_subquery(
                Query::select()
                    .column(event_detections::Column::DetectionId)
                    .from(event_detections::Entity)
                    .and_where(
                        event_detections::Column::DetectionId.is_in(batch.detection_ids.clone()),
                    )
                    .to_owned(),
            ),
        );
    }
    let rows = query
        .order_by_asc(detections::Column::DetectedAt)
        .order_by_asc(detections::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        let exist = detections::Entity::find()
            .filter(detections::Column::Id.is_in(batch.detection_ids.clone()))
            .count(db)
            .await?;
        return Err(if batch.skip_judged && exist > 0 {
            ContextError::AllJudged(batch.detection_ids.len())
        } else {
            ContextError::NoDetections(batch.detection_ids.len())
        });
    }
    let zones = camera_zones::Entity::find()
        .filter(camera_zones::Column::CameraId.eq(&batch.camera_id))
        .filter(camera_zones::Column::Enabled.eq(true))
        .order_by_desc(camera_zones::Column::Priority)
        .all(db)
        .await?;
    let polygons: Vec<_> = zones
        .iter()
        .filter_map(|z| {
            let rectangle = matches!(z.shape, hsi_db::entities::enums::CameraZoneShape::Rectangle);
            match parse_polygon(&z.coordinates, rectangle) {
                Some(polygon) => Some((z, polygon)),
                None => {
                    tracing::warn!(zone = %z.id, camera = %z.camera_id, "zone coordinates are not a polygon, ignored");
                    None
                }
            }
        })
        .collect();
    let detections: Vec<DetectionFact> = rows
        .iter()
        .map(|row| DetectionFact {
            id: row.id,
            object: row
                .object_type
                .clone()
                .unwrap_or_else(|| "unknown".to_owned()),
            confidence: row.confidence.unwrap_or_default(),
            seen_at: row.detected_at,
            zones: zones_of(row, &polygons),
            file_path: row.file_path.clone(),
            thumbnail_path: row.thumbnail_path.clone(),
        })
        .collect();
    let started_at = rows.first().map_or(now, |r| r.detected_at);
    let ended_at = rows.last().map_or(now, |r| r.detected_at);
    Ok(Context {
        camera_name: sanitize_label(&camera.name),
        unusualness: unusualness(db, &batch.camera_id, started_at).await?,
        other_cameras: other_cameras(db, &batch.camera_id, now, cross_camera_secs).await?,
        zones_configured: !polygons.is_empty(),
        batch: batch.clone(),
        started_at,
        ended_at,
        detections,
    })
}

fn zones_of(
    row: &detections::Model,
    polygons: &[(&camera_zones::Model, Vec<(f64, f64)>)],
) -> Vec<ZoneFact> {
    let (Some(x), Some(y), Some(w), Some(h)) =
        (row.bbox_x, row.bbox_y, row.bbox_width, row.bbox_height)
    else {
        return Vec::new();
    };
    let frame = (
        row.frame_width.or(row.video_width),
        row.frame_height.or(row.video_height),
    );
    let (Some(fw), Some(fh)) = frame else {
        return Vec::new();
    };
    let Some(point) = ground_point(x, y, w, h, fw, fh) else {
        return Vec::new();
    };
    polygons
        .iter()
        .filter(|(_, polygon)| contains(polygon, point))
        .map(|(zone, _)| ZoneFact {
            id: zone.id.clone(),
            name: sanitize_label(&zone.name),
            zone_type: serde_json::to_value(zone.zone_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        })
        .collect()
}

/// The activity of the camera's clock hour (UTC, as the baselines are kept) against its
/// baseline, decayed for the hours with no detection since it was last updated.
async fn unusualness(
    db: &DatabaseConnection,
    camera_id: &str,
    at: DateTime<Utc>,
) -> Result<Option<Unusualness>, DbErr> {
    let hour_start = Utc
        .with_ymd_and_hms(at.year(), at.month(), at.day(), at.hour(), 0, 0)
        .single()
        .unwrap_or(at);
    let counts = db
        .query_all(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT coalesce(object_type, 'unknown') AS class, count(*) AS n FROM detections \
             WHERE camera_id = $1 AND detected_at >= $2 AND detected_at < $3 GROUP BY 1",
            [
                camera_id.into(),
                hour_start.into(),
                (hour_start + Duration::hours(1)).into(),
            ],
        ))
        .await?;
    let mut by_class = BTreeMap::new();
    for row in counts {
        let class: String = row.try_get("", "class")?;
        let n: i64 = row.try_get("", "n")?;
        by_class.insert(class, (n, 0.0));
    }
    let total: i64 = by_class.values().map(|(n, _)| n).sum();
    let slot = activity_baselines::Entity::find()
        .filter(activity_baselines::Column::CameraId.eq(camera_id))
        .filter(activity_baselines::Column::Hour.eq(hour_start.hour() as i32))
        .filter(
            activity_baselines::Column::DayOfWeek
                .eq(hour_start.weekday().num_days_from_monday() as i32),
        )
        .one(db)
        .await?;
    let Some(slot) = slot else { return Ok(None) };
    let estimate = decayed(
        slot.avg_count,
        slot.count_variance,
        slot.sample_count,
        slot.last_bucket_at,
        hour_start,
        WEEK,
    );
    let classes = class_baselines::Entity::find()
        .filter(class_baselines::Column::CameraId.eq(camera_id))
        .filter(class_baselines::Column::Hour.eq(hour_start.hour() as i32))
        .all(db)
        .await?;
    for class in classes {
        if let Some(entry) = by_class.get_mut(&class.detection_class) {
            entry.1 = decayed(
                class.frequency,
                class.frequency_variance,
                class.sample_count,
                class.last_bucket_at,
                hour_start,
                DAY,
            )
            .mean;
        }
    }
    Ok(Some(Unusualness {
        detections_this_hour: total,
        usual_per_hour: estimate.mean,
        std_dev: estimate.variance.sqrt(),
        z_score: estimate.z_score(total as f64),
        by_class,
    }))
}

fn decayed(
    mean: f64,
    variance: f64,
    samples: i32,
    last: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    period: std::time::Duration,
) -> RateEstimate {
    let estimate = RateEstimate {
        mean,
        variance,
        samples: u32::try_from(samples).unwrap_or(0),
    };
    expected_now(
        estimate,
        last.map(|t| t.timestamp()),
        now.timestamp(),
        period,
    )
}

async fn other_cameras(
    db: &DatabaseConnection,
    camera_id: &str,
    now: DateTime<Utc>,
    window_secs: u64,
) -> Result<Vec<OtherCamera>, DbErr> {
    let since = now - Duration::seconds(i64::try_from(window_secs).unwrap_or(i64::MAX / 2));
    let rows = db
        .query_all(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT c.name AS camera, coalesce(d.object_type, 'unknown') AS class, count(*) AS n \
             FROM detections d JOIN cameras c ON c.id = d.camera_id \
             WHERE d.camera_id <> $1 AND d.detected_at >= $2 AND d.detected_at <= $3 AND c.deleted_at IS NULL \
             GROUP BY 1, 2 ORDER BY 1, 2",
            [camera_id.into(), since.into(), now.into()],
        ))
        .await?;
    let mut cameras: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in rows {
        let camera: String = row.try_get("", "camera")?;
        let class: String = row.try_get("", "class")?;
        let n: i64 = row.try_get("", "n")?;
        cameras
            .entry(sanitize_label(&camera))
            .or_default()
            .insert(class, n);
    }
    Ok(cameras
        .into_iter()
        .map(|(camera, objects)| OtherCamera { camera, objects })
        .collect())
}
