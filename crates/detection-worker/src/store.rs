//! Recording detections, idempotently: a redelivered message finds its rows already
//! there (unique on source message, frame and object) and writes nothing new.

use hsi_db::entities::detections;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

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

/// Inserts the rows of one message (skipping any already present) and returns all of
/// the message's rows.
pub async fn insert(
    db: &DatabaseConnection,
    message_id: &str,
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
    let stored = by_source(&tx, message_id).await?;
    tx.commit().await?;
    Ok(stored)
}

/// True when the error says the camera the rows belong to does not exist.
pub fn is_missing_camera(err: &DbErr) -> bool {
    err.to_string().contains("detections_camera_id_fkey")
}
