//! `hsi refused`: the file-watcher's ledger of files it refused (never queued: too
//! small, undecodable, not a camera folder, ...) or abandoned (queued too often without
//! being processed), newest first, read from PostgreSQL directly.

use crate::connect::Target;
use crate::error::CliResult;
use crate::output::{col, text, time, Output};
use crate::queues::{rows, to_json};
use hsi_api_gateway::pb::ListRefusedFilesRequest;
use hsi_api_gateway::resources::system;

/// Filters of `hsi refused`.
#[derive(Debug, Clone, Default)]
pub struct RefusedFilter {
    pub camera: Option<String>,
    pub reason: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    pub limit: u32,
}

pub async fn refused(target: &Target, out: Output, filter: RefusedFilter) -> CliResult<()> {
    let direct = target.with_database().await?;
    let page = system::refused_files(
        &direct.app,
        &direct.caller,
        ListRefusedFilesRequest {
            camera_id: filter.camera.unwrap_or_default(),
            reason: filter.reason.unwrap_or_default(),
            since: filter.since,
            until: None,
            limit: filter.limit,
            cursor: String::new(),
        },
    )
    .await?;
    let doc = to_json(&page);
    out.table(
        &doc,
        rows(&doc, "files"),
        &[
            col("RECORDED", |r| time(r, "recorded_at")),
            col("CAMERA", |r| text(r, "camera_id")),
            col("STATE", |r| text(r, "state")),
            col("REASON", |r| text(r, "reason")),
            col("BYTES", |r| text(r, "size_bytes")),
            col("PATH", |r| text(r, "path")),
            col("DETAIL", |r| text(r, "detail")),
        ],
    )?;
    if page.has_more && !out.json {
        out.note("more refused files are older; raise --limit or narrow with --since");
    }
    Ok(())
}
