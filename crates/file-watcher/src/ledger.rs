//! The file ledger (`media_files`): the durable record of every file the watcher looked
//! at and what it decided. It replaces the Redis keys with a TTL that used to say "seen
//! this content", so neither a restart long after nor a wiped Redis replays a file.

use chrono::{DateTime, Utc};
use hsi_proto::v1::MediaKind;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement};
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// One version of a file: its path, size and modification time (to the microsecond,
/// as PostgreSQL keeps it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    pub path_bytes: Vec<u8>,
    pub path: String,
    pub size: i64,
    pub modified_at: Option<DateTime<Utc>>,
}

impl FileVersion {
    pub fn of(path: &Path, metadata: &Metadata) -> Self {
        let modified_at = metadata
            .modified()
            .ok()
            .map(DateTime::<Utc>::from)
            .and_then(|at| DateTime::<Utc>::from_timestamp_micros(at.timestamp_micros()));
        Self {
            path_bytes: path.as_os_str().as_bytes().to_vec(),
            path: path.to_string_lossy().into_owned(),
            size: i64::try_from(metadata.len()).unwrap_or(i64::MAX),
            modified_at,
        }
    }
}

/// An accepted file, as the files stream needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedFile {
    pub id: i64,
    pub camera_id: String,
    pub path_bytes: Vec<u8>,
    pub path: String,
    pub media_kind: MediaKind,
    pub file_type: String,
    pub size: i64,
    pub sha256: String,
    pub message_id: String,
    pub observed_at: DateTime<Utc>,
    /// Where the last enqueue put it on the files stream, and how often it was enqueued.
    pub stream_entry: Option<String>,
    pub enqueue_count: i32,
}

/// What the ledger made of a file that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    Accepted(AcceptedFile),
    /// The camera already has a file with this content (ledger id of the original).
    DuplicateOf(i64),
}

/// What an accepted, validated file brings to the ledger.
#[derive(Debug, Clone)]
pub struct NewFile<'a> {
    pub version: &'a FileVersion,
    pub camera_id: &'a str,
    pub media_kind: MediaKind,
    pub file_type: &'a str,
    pub sha256: &'a str,
    pub message_id: &'a str,
}

fn kind_label(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Video => "video",
        _ => "image",
    }
}

fn statement(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// The ledger state of this exact version of the file, if the watcher decided about it
/// before (accepted, refused or a duplicate): nothing more to do then.
pub async fn known_version(
    db: &DatabaseConnection,
    version: &FileVersion,
) -> Result<Option<String>, DbErr> {
    let row = db
        .query_one(statement(
            "SELECT state::text AS state FROM media_files \
             WHERE path_bytes = $1 AND size_bytes = $2 AND modified_at IS NOT DISTINCT FROM $3 \
             ORDER BY id DESC LIMIT 1",
            vec![
                version.path_bytes.clone().into(),
                version.size.into(),
                version.modified_at.into(),
            ],
        ))
        .await?;
    row.map(|row| row.try_get::<String>("", "state"))
        .transpose()
}

/// Records a refusal with its reason; `camera_id` is kept only if that camera exists.
pub async fn record_refusal(
    db: &DatabaseConnection,
    version: &FileVersion,
    camera_id: Option<&str>,
    reason: &str,
    detail: &str,
) -> Result<(), DbErr> {
    db.execute(statement(
        "INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, modified_at, state, \
                                  refusal_reason, refusal_detail) \
         VALUES ((SELECT id FROM cameras WHERE id = $1), $2, $3, $4, $5, 'refused', $6, $7)",
        vec![
            camera_id.map(str::to_owned).into(),
            version.path.clone().into(),
            version.path_bytes.clone().into(),
            version.size.into(),
            version.modified_at.into(),
            reason.to_owned().into(),
            detail.to_owned().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Accepts the file unless its camera already has the same content, in which case it is
/// recorded as a duplicate of that file. One statement, so concurrent uploads of the
/// same content settle on one accepted row (the unique index decides).
pub async fn admit(db: &DatabaseConnection, file: &NewFile<'_>) -> Result<Admission, DbErr> {
    let sql = "WITH inserted AS ( \
            INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, modified_at, sha256, \
                                     media_kind, file_type, state, message_id) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'accepted', $9) \
            ON CONFLICT (camera_id, sha256) WHERE state IN ('accepted', 'abandoned') DO NOTHING \
            RETURNING id, observed_at), \
        original AS ( \
            SELECT id FROM media_files \
            WHERE camera_id = $1 AND sha256 = $6 AND state IN ('accepted', 'abandoned') \
              AND NOT EXISTS (SELECT 1 FROM inserted)), \
        duplicate AS ( \
            INSERT INTO media_files (camera_id, path, path_bytes, size_bytes, modified_at, sha256, \
                                     media_kind, file_type, state, duplicate_of) \
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'duplicate', original.id FROM original \
            RETURNING duplicate_of) \
        SELECT id, observed_at, NULL::bigint AS original FROM inserted \
        UNION ALL SELECT NULL, NULL, duplicate_of FROM duplicate";
    let values = vec![
        file.camera_id.to_owned().into(),
        file.version.path.clone().into(),
        file.version.path_bytes.clone().into(),
        file.version.size.into(),
        file.version.modified_at.into(),
        file.sha256.to_owned().into(),
        kind_label(file.media_kind).to_owned().into(),
        file.file_type.to_owned().into(),
        file.message_id.to_owned().into(),
    ];
    // A conflicting row committed while this statement ran is invisible to its snapshot,
    // so neither branch returns; the next statement sees it.
    for _ in 0..5 {
        let Some(row) = db.query_one(statement(sql, values.clone())).await? else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        if let Some(original) = row.try_get::<Option<i64>>("", "original")? {
            return Ok(Admission::DuplicateOf(original));
        }
        return Ok(Admission::Accepted(AcceptedFile {
            id: row.try_get("", "id")?,
            camera_id: file.camera_id.to_owned(),
            path_bytes: file.version.path_bytes.clone(),
            path: file.version.path.clone(),
            media_kind: file.media_kind,
            file_type: file.file_type.to_owned(),
            size: file.version.size,
            sha256: file.sha256.to_owned(),
            message_id: file.message_id.to_owned(),
            observed_at: row.try_get("", "observed_at")?,
            stream_entry: None,
            enqueue_count: 0,
        }));
    }
    Err(DbErr::Custom(format!(
        "content {} of camera {} neither accepted nor found",
        file.sha256, file.camera_id
    )))
}

/// Notes that the file was put on the files stream as entry `entry`.
pub async fn mark_enqueued(db: &DatabaseConnection, id: i64, entry: &str) -> Result<(), DbErr> {
    db.execute(statement(
        "UPDATE media_files SET enqueued_at = now(), stream_entry = $2, \
                enqueue_count = enqueue_count + 1 WHERE id = $1",
        vec![id.into(), entry.to_owned().into()],
    ))
    .await?;
    Ok(())
}

/// Gives up on an accepted file that was enqueued too often without being processed.
pub async fn abandon(db: &DatabaseConnection, id: i64, detail: &str) -> Result<(), DbErr> {
    db.execute(statement(
        "UPDATE media_files SET state = 'abandoned', refusal_reason = 'not_processed', \
                refusal_detail = $2 WHERE id = $1 AND state = 'accepted'",
        vec![id.into(), detail.to_owned().into()],
    ))
    .await?;
    Ok(())
}

/// Accepted files the detection worker has not finished, accepted within `horizon`,
/// last enqueued (or accepted) more than `grace` ago, with ids above `after`: what the
/// recovery sweep looks at, `limit` at a time in id order.
pub async fn unfinished(
    db: &DatabaseConnection,
    grace: Duration,
    horizon: Duration,
    after: i64,
    limit: u64,
) -> Result<Vec<AcceptedFile>, DbErr> {
    let rows = db
        .query_all(statement(
            "SELECT m.id, m.camera_id, m.path, m.path_bytes, m.size_bytes, m.sha256, m.media_kind, \
                    m.file_type, m.message_id, m.observed_at, m.stream_entry, m.enqueue_count \
             FROM media_files m \
             WHERE m.state = 'accepted' AND m.id > $1 \
               AND m.created_at > now() - make_interval(secs => $2) \
               AND coalesce(m.enqueued_at, m.created_at) < now() - make_interval(secs => $3) \
               AND NOT EXISTS (SELECT 1 FROM processed_files p WHERE p.media_file_id = m.id) \
             ORDER BY m.id LIMIT $4",
            vec![
                after.into(),
                horizon.as_secs_f64().into(),
                grace.as_secs_f64().into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await?;
    rows.iter().map(accepted_from_row).collect()
}

fn accepted_from_row(row: &QueryResult) -> Result<AcceptedFile, DbErr> {
    let kind: String = row.try_get("", "media_kind")?;
    Ok(AcceptedFile {
        id: row.try_get("", "id")?,
        camera_id: row.try_get("", "camera_id")?,
        path_bytes: row.try_get("", "path_bytes")?,
        path: row.try_get("", "path")?,
        media_kind: if kind == "video" {
            MediaKind::Video
        } else {
            MediaKind::Image
        },
        file_type: row
            .try_get::<Option<String>>("", "file_type")?
            .unwrap_or_default(),
        size: row.try_get("", "size_bytes")?,
        sha256: row.try_get("", "sha256")?,
        message_id: row.try_get("", "message_id")?,
        observed_at: row.try_get("", "observed_at")?,
        stream_entry: row.try_get("", "stream_entry")?,
        enqueue_count: row.try_get("", "enqueue_count")?,
    })
}
