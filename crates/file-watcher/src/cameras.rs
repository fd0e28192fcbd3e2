//! Registering cameras as their folders and files appear.

use crate::names::CameraFolder;
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, RuntimeErr, Statement};

/// Registers the camera if it is new and records that it was just seen. Returns true
/// when the camera is soft-deleted, so its files must not be enqueued.
pub async fn touch_camera(db: &DatabaseConnection, camera: &CameraFolder) -> Result<bool, DbErr> {
    // The name and folder of a known camera are left alone: the gateway may rename it,
    // and another folder normalising to the same id must not take it over.
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO cameras (id, name, folder_path, last_seen_at) VALUES ($1, $2, $3, now()) \
         ON CONFLICT (id) DO UPDATE SET last_seen_at = now() \
         RETURNING deleted_at IS NOT NULL AS deleted",
        [
            camera.id.clone().into(),
            camera.name.clone().into(),
            folder_path(camera).into(),
        ],
    );
    let row = db
        .query_one(statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotInserted)?;
    row.try_get::<bool>("", "deleted")
}

/// Registers the camera of a new folder, before any file arrives; a known camera is
/// left as it is.
pub async fn register_camera(
    db: &DatabaseConnection,
    camera: &CameraFolder,
) -> Result<bool, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO cameras (id, name, folder_path) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
        [
            camera.id.clone().into(),
            camera.name.clone().into(),
            folder_path(camera).into(),
        ],
    );
    Ok(db.execute(statement).await?.rows_affected() > 0)
}

fn folder_path(camera: &CameraFolder) -> String {
    camera.path.to_string_lossy().into_owned()
}

/// True for errors that go away when PostgreSQL is reachable again: no connection, or
/// the server refusing work for a while (SQLSTATE classes 08, 53 and 57).
pub fn is_transient(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    match runtime {
        RuntimeErr::SqlxError(sqlx::Error::Database(db_err)) => db_err.code().is_some_and(|code| {
            ["08", "53", "57"]
                .iter()
                .any(|class| code.starts_with(class))
        }),
        RuntimeErr::SqlxError(err) => matches!(
            err,
            sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
        ),
        RuntimeErr::Internal(_) => false,
    }
}
