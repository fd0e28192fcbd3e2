//! The recovery sweep: detections that PostgreSQL says are in no event, of files the
//! detection worker finished more than a grace period ago, are batched again. The
//! batching script skips every detection id it still remembers (an open batch, a batch
//! on its way to the analysis worker), so only detections whose batch was lost with
//! Redis are batched anew; and the analysis worker never links a detection to a second
//! event, so a detection re-batched early is judged once all the same.

use crate::{Aggregator, Error};
use chrono::{DateTime, Utc};
use hsi_proto::v1::{BoundingBox, Detection, DetectionsMessage};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};
use std::collections::BTreeMap;
use std::time::Duration;

/// Detections looked at per query.
const PAGE: i64 = 2_000;

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Detections in no event found.
    pub unjudged: usize,
    /// Of those, batched again (the rest are still in a batch on its way).
    pub rebatched: usize,
    /// Batches those closed at once (fast path, size).
    pub closed: usize,
}

/// How far back, and after how long, unjudged detections are batched again.
#[derive(Debug, Clone, Copy)]
pub struct RecoveryWindow {
    pub grace: Duration,
    pub horizon: Duration,
}

/// One pass: finds unjudged detections and hands them to the aggregator as `now_ms`.
pub async fn sweep(
    db: &DatabaseConnection,
    aggregator: &Aggregator,
    window: RecoveryWindow,
    now_ms: i64,
) -> Result<RecoveryReport, Error> {
    let mut report = RecoveryReport::default();
    let mut after = 0;
    loop {
        let rows = unjudged(db, window, after).await?;
        let Some(last) = rows.last() else {
            return Ok(report);
        };
        after = last.id;
        report.unjudged += rows.len();
        let full_page = rows.len() as i64 >= PAGE;
        for message in messages(rows) {
            let ingested = aggregator.ingest(&message, now_ms).await?;
            report.rebatched += ingested.added;
            report.closed += ingested.closed.len();
        }
        if !full_page {
            return Ok(report);
        }
    }
}

/// A detection as read back for batching.
#[derive(Debug, Clone)]
struct Unjudged {
    id: i32,
    camera_id: String,
    source: String,
    detected_at: DateTime<Utc>,
    detection: Detection,
}

async fn unjudged(
    db: &DatabaseConnection,
    window: RecoveryWindow,
    after: i32,
) -> Result<Vec<Unjudged>, Error> {
    let sql = "SELECT d.id, d.camera_id, d.source_message_id, d.detected_at, d.object_type, \
                      d.confidence, d.bbox_x, d.bbox_y, d.bbox_width, d.bbox_height, \
                      d.frame_index, d.frame_offset, d.thumbnail_path \
               FROM processed_files p \
               JOIN detections d ON d.source_message_id = p.message_id \
               WHERE p.outcome = 'detected' AND p.detection_count > 0 \
                 AND p.processed_at > now() - make_interval(secs => $1) \
                 AND p.processed_at < now() - make_interval(secs => $2) \
                 AND d.id > $3 \
                 AND NOT EXISTS (SELECT 1 FROM event_detections e WHERE e.detection_id = d.id) \
               ORDER BY d.id LIMIT $4";
    let rows = db
        .query_all(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [
                window.horizon.as_secs_f64().into(),
                window.grace.as_secs_f64().into(),
                after.into(),
                PAGE.into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .map_err(Error::Database)
}

fn from_row(row: &QueryResult) -> Result<Unjudged, sea_orm::DbErr> {
    let number = |name: &str| {
        row.try_get::<Option<i32>>("", name)
            .map(Option::unwrap_or_default)
    };
    let id: i32 = row.try_get("", "id")?;
    Ok(Unjudged {
        id,
        camera_id: row.try_get("", "camera_id")?,
        source: row.try_get("", "source_message_id")?,
        detected_at: row.try_get("", "detected_at")?,
        detection: Detection {
            id: i64::from(id),
            object_type: row
                .try_get::<Option<String>>("", "object_type")?
                .unwrap_or_default(),
            confidence: row
                .try_get::<Option<f64>>("", "confidence")?
                .unwrap_or_default() as f32,
            bbox: Some(BoundingBox {
                x: number("bbox_x")?,
                y: number("bbox_y")?,
                width: number("bbox_width")?,
                height: number("bbox_height")?,
            }),
            frame_index: row.try_get("", "frame_index")?,
            frame_offset_secs: row
                .try_get::<Option<f64>>("", "frame_offset")?
                .unwrap_or_default(),
            thumbnail_path: row
                .try_get::<Option<String>>("", "thumbnail_path")?
                .unwrap_or_default(),
        },
    })
}

/// One detections message per source file, as the detection worker would have sent it.
fn messages(rows: Vec<Unjudged>) -> Vec<DetectionsMessage> {
    let mut by_source: BTreeMap<String, DetectionsMessage> = BTreeMap::new();
    for row in rows {
        let message = by_source
            .entry(row.source.clone())
            .or_insert_with(|| DetectionsMessage {
                camera_id: row.camera_id.clone(),
                detected_at_ms: row.detected_at.timestamp_millis(),
                source_message_id: row.source.clone(),
                ..DetectionsMessage::default()
            });
        message.detected_at_ms = message
            .detected_at_ms
            .min(row.detected_at.timestamp_millis());
        message.detections.push(row.detection);
    }
    by_source.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i32, source: &str, at_ms: i64) -> Unjudged {
        Unjudged {
            id,
            camera_id: "front".into(),
            source: source.into(),
            detected_at: DateTime::from_timestamp_millis(at_ms).expect("valid time"),
            detection: Detection {
                id: i64::from(id),
                ..Detection::default()
            },
        }
    }

    #[test]
    fn detections_are_grouped_by_their_file() {
        let grouped = messages(vec![
            row(1, "a", 5_000),
            row(2, "b", 9_000),
            row(3, "a", 4_000),
        ]);
        assert_eq!(grouped.len(), 2);
        let a = &grouped[0];
        assert_eq!(a.source_message_id, "a");
        assert_eq!(a.detected_at_ms, 4_000, "the earliest sighting");
        let ids: Vec<i64> = a.detections.iter().map(|d| d.id).collect();
        assert_eq!(ids, [1, 3]);
        assert_eq!(grouped[1].detections.len(), 1);
    }
}
