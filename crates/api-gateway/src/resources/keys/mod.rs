//! API keys: created (the key shown once), listed, revoked.

pub mod grpc;
pub mod rest;

use crate::app::App;
use crate::audit::{audited, Entry};
use crate::auth::{generate_key, Caller, Scope};
use crate::convert::{bounded, opt_ts, ts};
use crate::error::{ApiError, ApiResult};
use crate::pb::{
    ApiKey, CreateApiKeyRequest, CreatedApiKey, ListApiKeysRequest, ListApiKeysResponse,
    RevokeApiKeyRequest, WhoAmIRequest,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};

pub const POLICY: &[(&str, Scope)] = &[
    ("CreateApiKey", Scope::Admin),
    ("ListApiKeys", Scope::Admin),
    ("RevokeApiKey", Scope::Admin),
    ("WhoAmI", Scope::Read),
];

#[derive(Debug, FromQueryResult)]
struct KeyRow {
    id: i32,
    name: String,
    scope: String,
    key_id: Option<String>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    created_by: Option<String>,
}

impl From<KeyRow> for ApiKey {
    fn from(row: KeyRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            scope: row.scope,
            key_id: row.key_id.unwrap_or_default(),
            created_at: ts(row.created_at),
            last_used_at: opt_ts(row.last_used_at),
            revoked_at: opt_ts(row.revoked_at),
            created_by: row.created_by,
        }
    }
}

const COLUMNS: &str = "id, name, scope, key_id, created_at, last_used_at, revoked_at, created_by";

/// Makes a key; shared by the API and `hsi-gateway api-key create`.
pub async fn create_key(
    db: &DatabaseConnection,
    name: &str,
    scope: &str,
    created_by: &str,
) -> ApiResult<CreatedApiKey> {
    bounded("name", name, 100, true)?;
    let scope = Scope::parse(scope).ok_or_else(|| {
        ApiError::invalid("scope", format!("{scope:?} is not one of read, operator, admin"))
    })?;
    let key = generate_key();
    let row = KeyRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        format!(
            "INSERT INTO api_keys (key_hash, key_id, name, scope, created_by) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        ),
        [
            key.hash.into(),
            key.key_id.into(),
            name.trim().into(),
            scope.as_str().into(),
            created_by.into(),
        ],
    ))
    .one(db)
    .await?
    .ok_or_else(|| ApiError::internal("the new key was not returned"))?;
    Ok(CreatedApiKey {
        key: Some(row.into()),
        secret: key.full,
    })
}

pub async fn create(app: &App, caller: &Caller, req: CreateApiKeyRequest) -> ApiResult<CreatedApiKey> {
    let entry = Entry::new("api_key.create", "api_key")
        .details(serde_json::json!({"name": req.name, "scope": req.scope}));
    audited(&app.db, caller, entry, create_key(&app.db, &req.name, &req.scope, &caller.name)).await
}

pub async fn list(app: &App, _caller: &Caller, req: ListApiKeysRequest) -> ApiResult<ListApiKeysResponse> {
    let rows = KeyRow::find_by_statement(Statement::from_sql_and_values(
        app.db.get_database_backend(),
        format!("SELECT {COLUMNS} FROM api_keys WHERE ($1 OR revoked_at IS NULL) ORDER BY id"),
        [req.include_revoked.into()],
    ))
    .all(&app.db)
    .await?;
    Ok(ListApiKeysResponse {
        keys: rows.into_iter().map(ApiKey::from).collect(),
    })
}

pub async fn revoke(app: &App, caller: &Caller, req: RevokeApiKeyRequest) -> ApiResult<ApiKey> {
    let entry = Entry::new("api_key.revoke", "api_key").id(req.id);
    audited(&app.db, caller, entry, async {
        let row = KeyRow::find_by_statement(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            format!(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), is_active = false \
                 WHERE id = $1 RETURNING {COLUMNS}"
            ),
            [req.id.into()],
        ))
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("API key {}", req.id)))?;
        if let Some(key_id) = &row.key_id {
            app.keys.forget(key_id);
        }
        Ok(row.into())
    })
    .await
}

pub async fn who_am_i(app: &App, caller: &Caller, _req: WhoAmIRequest) -> ApiResult<ApiKey> {
    let Some(id) = caller.key_id else {
        return Ok(ApiKey {
            name: caller.name.clone(),
            scope: caller.scope.as_str().to_owned(),
            ..ApiKey::default()
        });
    };
    KeyRow::find_by_statement(Statement::from_sql_and_values(
        app.db.get_database_backend(),
        format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1"),
        [id.into()],
    ))
    .one(&app.db)
    .await?
    .map(ApiKey::from)
    .ok_or_else(|| ApiError::not_found(format!("API key {id}")))
}
