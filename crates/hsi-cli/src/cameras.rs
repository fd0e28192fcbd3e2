//! `hsi cameras`: list, rename, disable and enable cameras through the gateway's API (so
//! each change is checked, audited and seen by every replica). Disabling soft-deletes
//! the camera: the file-watcher stops queueing its files until it is enabled again.

use crate::api::ApiClient;
use crate::error::CliResult;
use crate::output::{col, text, time, Column, Output};
use crate::queues::rows;
use reqwest::Method;
use serde_json::{json, Value};

const COLUMNS: &[Column] = &[
    col("ID", |r| text(r, "id")),
    col("NAME", |r| text(r, "name")),
    col("STATUS", |r| {
        if r.get("deleted_at").is_some_and(|v| !v.is_null()) {
            "disabled".to_owned()
        } else {
            text(r, "status")
        }
    }),
    col("LAST SEEN", |r| time(r, "last_seen_at")),
    col("EVENTS", |r| text(r, "event_count")),
    col("UNREVIEWED", |r| text(r, "unreviewed_event_count")),
    col("FOLDER", |r| text(r, "folder_path")),
];

/// `hsi cameras list [--all]`.
pub async fn list(api: &ApiClient, out: Output, include_disabled: bool) -> CliResult<()> {
    let doc = api
        .get(
            "/cameras",
            &[("include_deleted", include_disabled.to_string())],
        )
        .await?;
    out.table(&doc, rows(&doc, "cameras"), COLUMNS)
}

/// `hsi cameras rename ID NAME`.
pub async fn rename(api: &ApiClient, out: Output, id: &str, name: &str) -> CliResult<()> {
    let camera = api
        .send_json(
            Method::PATCH,
            &format!("/cameras/{}", segment(id)),
            &json!({ "name": name }),
        )
        .await?;
    done(
        out,
        &camera,
        &format!("renamed camera {id} to {:?}", text(&camera, "name")),
    )
}

/// `hsi cameras disable ID`.
pub async fn disable(api: &ApiClient, out: Output, id: &str) -> CliResult<()> {
    let camera = api.delete(&format!("/cameras/{}", segment(id))).await?;
    done(
        out,
        &camera,
        &format!("disabled camera {id}: its new files are no longer queued"),
    )
}

/// `hsi cameras enable ID`.
pub async fn enable(api: &ApiClient, out: Output, id: &str) -> CliResult<()> {
    let camera = api
        .send_json(
            Method::POST,
            &format!("/cameras/{}/restore", segment(id)),
            &json!({}),
        )
        .await?;
    done(out, &camera, &format!("enabled camera {id}"))
}

fn done(out: Output, camera: &Value, message: &str) -> CliResult<()> {
    if out.json {
        return out.json_value(camera);
    }
    out.line(message)?;
    out.table(camera, std::slice::from_ref(camera), COLUMNS)
}

/// `text` percent-encoded for one path segment.
pub fn segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(super::segment("front-door_1"), "front-door_1");
        assert_eq!(super::segment("a/b c"), "a%2Fb%20c");
    }
}
