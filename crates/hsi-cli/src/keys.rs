//! `hsi keys`: API keys. `create` writes to PostgreSQL directly (audited), so the first
//! key can be made before any key exists; `list` and `revoke` go through the gateway's
//! API, which also drops a revoked key from its cache at once.

use crate::api::ApiClient;
use crate::connect::Target;
use crate::error::CliResult;
use crate::output::{col, text, time, Column, Output};
use crate::queues::{rows, to_json};
use hsi_api_gateway::pb::CreateApiKeyRequest;
use hsi_api_gateway::resources::keys;

const COLUMNS: &[Column] = &[
    col("ID", |r| text(r, "id")),
    col("NAME", |r| text(r, "name")),
    col("SCOPE", |r| text(r, "scope")),
    col("KEY", |r| format!("hsi_{}_…", text(r, "key_id"))),
    col("CREATED", |r| time(r, "created_at")),
    col("LAST USED", |r| time(r, "last_used_at")),
    col("REVOKED", |r| time(r, "revoked_at")),
];

/// `hsi keys create NAME --scope S`: the new key is printed once, on standard output.
pub async fn create(target: &Target, out: Output, name: &str, scope: &str) -> CliResult<()> {
    let direct = target.with_database().await?;
    let created = keys::create(
        &direct.app,
        &direct.caller,
        CreateApiKeyRequest {
            name: name.to_owned(),
            scope: scope.to_owned(),
        },
    )
    .await?;
    if out.json {
        return out.json_value(&to_json(&created));
    }
    let key = to_json(&created.key);
    out.note(&format!(
        "created API key {} ({:?}, scope {}); it is shown only this once:",
        text(&key, "id"),
        text(&key, "name"),
        text(&key, "scope")
    ));
    out.line(&created.secret)
}

/// `hsi keys list [--all]`.
pub async fn list(api: &ApiClient, out: Output, include_revoked: bool) -> CliResult<()> {
    let doc = api
        .get(
            "/api-keys",
            &[("include_revoked", include_revoked.to_string())],
        )
        .await?;
    out.table(&doc, rows(&doc, "keys"), COLUMNS)
}

/// `hsi keys revoke ID`.
pub async fn revoke(api: &ApiClient, out: Output, id: i32) -> CliResult<()> {
    let key = api.delete(&format!("/api-keys/{id}")).await?;
    if out.json {
        return out.json_value(&key);
    }
    out.line(&format!("revoked API key {id} ({:?})", text(&key, "name")))
}
