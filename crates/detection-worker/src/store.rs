//! Recording a file's detections and that the file was processed, idempotently and in one
//! transaction: a redelivered message finds its rows already there (unique on source
//! message, frame and object) and writes nothing new, and "found nothing" is a
//! `processed_files` row rather than the absence of detections.

use hsi_db::entities::{detections, processed_files};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, NotSet,
    QueryFilter, QueryOrder, TransactionTrait,
};

/// What the worker finished a file with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Detected, with this many frames looked at (its detections are the rows).
    Detected { frames: usize },
    /// The file itself cannot be processed (not an image, a broken video); the error
    /// says why.
    Failed { error: String },
}

/// The queue message a file came as: its id keys every row, and its ledger row if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub message_id: String,
    pub media_file_id: Option<i64>,
}

/// The rows already recorded for a queue message, in frame and object order.
pub async fn by_source(
    db: &impl ConnectionTrait,
    message_id: &str,
) -> Result<Vec<detections::Model>, DbErr> {
    detections::Entity::find()
        .filter(detections::Column::SourceMessageId.eq(message_id))
        .order_by_asc(detections::Column::FrameIndex)
        .order_by_asc(detections::Column::ObjectIndex)
        .all(db)
        .await
}

/// The processing record of a queue message, if the file was finished before.
pub async fn processed(
    db: &impl ConnectionTrait,
    message_id: &str,
) -> Result<Option<processed_files::Model>, DbErr> {
    processed_files::Entity::find_by_id(message_id.to_owned())
        .one(db)
        .await
}

/// Inserts the rows of one message (skipping any already present) and the record that
/// the file was processed, in one transaction; returns all of the message's rows.
pub async fn record_detected(
    db: &DatabaseConnection,
    source: &Source,
    frames: usize,
    rows: Vec<detections::ActiveModel>,
) -> Result<Vec<detections::Model>, DbErr> {
    let tx = db.begin().await?;
    if !rows.is_empty() {
        detections::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    detections::Column::SourceMessageId,
                    detections::Column::FrameIndex,
                    detections::Column::ObjectIndex,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&tx)
            .await?;
    }
    let stored = by_source(&tx, &source.message_id).await?;
    record(&tx, source, &FileOutcome::Detected { frames }, stored.len()).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Records that a file could not be processed, and why.
pub async fn record_failed(
    db: &DatabaseConnection,
    source: &Source,
    error: &str,
) -> Result<(), DbErr> {
    let outcome = FileOutcome::Failed {
        error: error.to_owned(),
    };
    record(db, source, &outcome, 0).await
}

/// Upserts the processing record: a file processed again (an operator requeued a failed
/// one) gets its latest outcome and one more attempt.
async fn record(
    db: &impl ConnectionTrait,
    source: &Source,
    outcome: &FileOutcome,
    detection_count: usize,
) -> Result<(), DbErr> {
    let (label, frames, error) = match outcome {
        FileOutcome::Detected { frames } => ("detected", *frames, None),
        FileOutcome::Failed { error } => ("failed", 0, Some(error.clone())),
    };
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let row = processed_files::ActiveModel {
        message_id: Set(source.message_id.clone()),
        media_file_id: Set(source.media_file_id),
        outcome: Set(label.to_owned()),
        detection_count: Set(count(detection_count)),
        frame_count: Set(count(frames)),
        error: Set(error),
        attempts: NotSet,
        processed_at: NotSet,
    };
    use processed_files::Column as P;
    processed_files::Entity::insert(row)
        .on_conflict(
            OnConflict::column(P::MessageId)
                .update_columns([P::Outcome, P::DetectionCount, P::FrameCount, P::Error])
                .value(
                    P::Attempts,
                    Expr::col((processed_files::Entity, P::Attempts)).add(1),
                )
                .value(P::ProcessedAt, Expr::current_timestamp())
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// True when the error says the camera the rows belong to does not exist.
pub fn is_missing_camera(err: &DbErr) -> bool {
    err.to_string().contains("detections_camera_id_fkey")
}
