//! Detections: listed newest first with keyset pages, read one at a time, their image
//! and thumbnail served from inside the media roots only; and "detect now" on an
//! uploaded picture, forwarded to the detection worker.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{Caller, Scope};
use crate::convert::ts;
use crate::error::{ApiError, ApiResult, Code};
use crate::paging;
use crate::pb::{
    DetectNowRequest, DetectNowResponse, DetectedObjectBox, Detection, GetDetectionImageRequest,
    GetDetectionRequest, GetDetectionThumbnailRequest, ImageBytes, ListDetectionsRequest,
    ListDetectionsResponse,
};
use crate::resources::events::query::{check_list, time_range, Conditions};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement, Value};

/// Who may do what.
pub const POLICY: &[(&str, Scope)] = &[
    ("ListDetections", Scope::Read),
    ("GetDetection", Scope::Read),
    ("GetDetectionImage", Scope::Read),
    ("GetDetectionThumbnail", Scope::Read),
    ("DetectNow", Scope::Operator),
];

/// The image types "detect now" takes.
pub const UPLOAD_TYPES: &[&str] = &["image/jpeg", "image/png"];

#[derive(Debug, FromQueryResult)]
struct DetectionRow {
    id: i32,
    camera_id: String,
    file_path: String,
    file_type: Option<String>,
    detected_at: DateTime<Utc>,
    object_type: Option<String>,
    confidence: Option<f64>,
    bbox_x: Option<i32>,
    bbox_y: Option<i32>,
    bbox_width: Option<i32>,
    bbox_height: Option<i32>,
    frame_width: Option<i32>,
    frame_height: Option<i32>,
    thumbnail_path: Option<String>,
    media_type: Option<String>,
    duration: Option<f64>,
    frame_offset: Option<f64>,
    event_id: Option<i32>,
}

impl From<DetectionRow> for Detection {
    fn from(row: DetectionRow) -> Self {
        Self {
            id: i64::from(row.id),
            camera_id: row.camera_id,
            file_path: row.file_path,
            file_type: row.file_type,
            detected_at: ts(row.detected_at),
            object_type: row.object_type,
            confidence: row.confidence,
            bbox_x: row.bbox_x,
            bbox_y: row.bbox_y,
            bbox_width: row.bbox_width,
            bbox_height: row.bbox_height,
            frame_width: row.frame_width,
            frame_height: row.frame_height,
            thumbnail_path: row.thumbnail_path,
            media_type: row.media_type,
            duration: row.duration,
            frame_offset: row.frame_offset,
            event_id: row.event_id.map(i64::from),
        }
    }
}

const SELECT: &str = "SELECT d.id, d.camera_id, d.file_path, d.file_type, d.detected_at, \
    d.object_type, d.confidence, d.bbox_x, d.bbox_y, d.bbox_width, d.bbox_height, \
    d.frame_width, d.frame_height, d.thumbnail_path, d.media_type, d.duration, d.frame_offset, \
    ed.event_id FROM detections d LEFT JOIN event_detections ed ON ed.detection_id = d.id";

fn statement(app: &App, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(app.db.get_database_backend(), sql, values)
}

fn check_id(field: &str, id: i64) -> ApiResult<i32> {
    i32::try_from(id)
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::invalid(field, format!("{field} {id} is not a valid detection id")))
}

pub async fn list(app: &App, _caller: &Caller, req: ListDetectionsRequest) -> ApiResult<ListDetectionsResponse> {
    let camera_ids = check_list("camera_ids", &req.camera_ids, 100)?;
    let object_types: Vec<String> = check_list("object_types", &req.object_types, 64)?
        .into_iter()
        .map(|t| t.to_lowercase())
        .collect();
    if let Some(min) = req.min_confidence {
        if !(0.0..=1.0).contains(&min) {
            return Err(ApiError::invalid(
                "min_confidence",
                format!("min_confidence {min} is outside 0..1"),
            ));
        }
    }
    let (start, end) = time_range(
        "start_time",
        req.start_time.as_deref(),
        "end_time",
        req.end_time.as_deref(),
    )?;
    let event_id = req
        .event_id
        .map(|id| crate::resources::events::check_event_id("event_id", id))
        .transpose()?;
    let limit = paging::limit(req.limit)?;
    let after = paging::decode::<(i64, i64)>(&req.cursor)?;

    let mut sql = Conditions::default();
    if !camera_ids.is_empty() {
        let p = sql.bind(camera_ids);
        sql.push(format!("d.camera_id = ANY({p}::text[])"));
    }
    if !object_types.is_empty() {
        let p = sql.bind(object_types);
        sql.push(format!("lower(d.object_type) = ANY({p}::text[])"));
    }
    if let Some(min) = req.min_confidence {
        let p = sql.bind(min);
        sql.push(format!("d.confidence >= {p}"));
    }
    if let Some(start) = start {
        let p = sql.bind(start);
        sql.push(format!("d.detected_at >= {p}"));
    }
    if let Some(end) = end {
        let p = sql.bind(end);
        sql.push(format!("d.detected_at < {p}"));
    }
    if let Some(event_id) = event_id {
        let p = sql.bind(event_id);
        sql.push(format!("ed.event_id = {p}"));
    }
    if let Some((micros, id)) = after {
        let at = DateTime::<Utc>::from_timestamp_micros(micros)
            .ok_or_else(|| ApiError::invalid("cursor", "the cursor is not one this API gave out"))?;
        let (a, b) = (sql.bind(at), sql.bind(id));
        sql.push(format!("(d.detected_at, d.id) < ({a}, {b})"));
    }
    let l = sql.bind(limit as i64 + 1);
    let text = format!(
        "{SELECT} {} ORDER BY d.detected_at DESC, d.id DESC LIMIT {l}",
        sql.where_clause()
    );
    let rows = DetectionRow::find_by_statement(statement(app, &text, sql.values))
        .all(&app.db)
        .await?;
    let (rows, next_cursor, has_more) =
        paging::page(rows, limit, |last| (last.detected_at.timestamp_micros(), i64::from(last.id)));
    Ok(ListDetectionsResponse {
        detections: rows.into_iter().map(Detection::from).collect(),
        next_cursor,
        has_more,
    })
}

async fn find(app: &App, id: i32) -> ApiResult<DetectionRow> {
    DetectionRow::find_by_statement(statement(app, &format!("{SELECT} WHERE d.id = $1"), vec![id.into()]))
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("detection {id}")))
}

/// The detections of an event, in the order they were found.
pub(crate) async fn of_event(app: &App, event_id: i32) -> ApiResult<Vec<Detection>> {
    let rows = DetectionRow::find_by_statement(statement(
        app,
        &format!("{SELECT} WHERE ed.event_id = $1 ORDER BY d.detected_at, d.id"),
        vec![event_id.into()],
    ))
    .all(&app.db)
    .await?;
    Ok(rows.into_iter().map(Detection::from).collect())
}

pub async fn get(app: &App, _caller: &Caller, req: GetDetectionRequest) -> ApiResult<Detection> {
    let id = check_id("id", req.id)?;
    find(app, id).await.map(Detection::from)
}

/// The file the detection was found in.
pub async fn image(app: &App, _caller: &Caller, req: GetDetectionImageRequest) -> ApiResult<ImageBytes> {
    let id = check_id("id", req.id)?;
    let row = find(app, id).await?;
    crate::media::read_confined(&app.settings.media.roots, &row.file_path).await
}

/// The thumbnail of the detected object.
pub async fn thumbnail(
    app: &App,
    _caller: &Caller,
    req: GetDetectionThumbnailRequest,
) -> ApiResult<ImageBytes> {
    let id = check_id("id", req.id)?;
    let row = find(app, id).await?;
    let path = row
        .thumbnail_path
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::not_found(format!("a thumbnail of detection {id}")))?;
    crate::media::read_confined(&app.settings.media.roots, &path).await
}

/// Refuses a declared upload type other than JPEG or PNG (REST's Content-Type).
pub fn check_upload_type(content_type: Option<&str>) -> ApiResult<()> {
    let essence = content_type
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some(kind) if UPLOAD_TYPES.contains(&kind) => Ok(()),
        other => Err(ApiError::invalid(
            "content-type",
            format!(
                "the body must be a JPEG or PNG image sent as {}, not {}",
                UPLOAD_TYPES.join(" or "),
                other.unwrap_or("no Content-Type")
            ),
        )),
    }
}

/// Whether `bytes` start like a JPEG or a PNG.
fn looks_like_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// Runs the detector on an uploaded image; nothing is stored.
pub async fn detect_now(app: &App, caller: &Caller, req: DetectNowRequest) -> ApiResult<DetectNowResponse> {
    let entry = Entry::new("detection.detect_now", "detection").details(serde_json::json!({
        "image_bytes": req.image.len(),
        "min_confidence": req.min_confidence,
    }));
    audited(&app.db, caller, entry, async {
        if req.image.is_empty() {
            return Err(ApiError::invalid("image", "the image is empty"));
        }
        if !looks_like_image(&req.image) {
            return Err(ApiError::invalid("image", "the image is neither a JPEG nor a PNG"));
        }
        let min_confidence = req.min_confidence.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&min_confidence) {
            return Err(ApiError::invalid(
                "min_confidence",
                format!("min_confidence {min_confidence} is outside 0..1"),
            ));
        }
        let request = app.internal_request(hsi_proto::v1::DetectRequest {
            image: req.image,
            min_confidence,
        });
        let answer = app
            .detector_client()
            .detect(request)
            .await
            .map_err(forwarded)?
            .into_inner();
        Ok(DetectNowResponse {
            objects: answer
                .objects
                .into_iter()
                .map(|object| {
                    let bbox = object.bbox.unwrap_or_default();
                    DetectedObjectBox {
                        object_type: object.object_type,
                        confidence: object.confidence,
                        x: bbox.x,
                        y: bbox.y,
                        width: bbox.width,
                        height: bbox.height,
                    }
                })
                .collect(),
            image_width: answer.image_width,
            image_height: answer.image_height,
            inference_ms: answer.inference_ms,
        })
    })
    .await
}

/// What a failed call to the detection worker means to our caller.
fn forwarded(status: tonic::Status) -> ApiError {
    match status.code() {
        tonic::Code::InvalidArgument => ApiError::invalid("image", status.message().to_owned()),
        tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => {
            tracing::error!(error = %status.message(), "the detection worker refused the gateway's token");
            ApiError::unavailable(
                "the detection worker refused the gateway (services.token does not match its grpc.token)",
            )
        }
        tonic::Code::DeadlineExceeded => ApiError::new(
            Code::DeadlineExceeded,
            "the detection worker did not answer in time",
        ),
        _ => {
            tracing::warn!(code = ?status.code(), error = %status.message(), "detection worker unavailable");
            ApiError::unavailable(format!(
                "the detection worker is unavailable ({}); try again",
                status.message()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_must_declare_and_look_like_images() {
        assert!(check_upload_type(Some("image/jpeg")).is_ok());
        assert!(check_upload_type(Some("Image/PNG; charset=binary")).is_ok());
        assert_eq!(
            check_upload_type(Some("text/plain")).unwrap_err().field.as_deref(),
            Some("content-type")
        );
        assert!(check_upload_type(None).is_err());
        assert!(looks_like_image(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(looks_like_image(b"\x89PNG\r\n\x1a\nrest"));
        assert!(!looks_like_image(b"GIF89a"));
    }
}
