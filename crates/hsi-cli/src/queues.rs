//! `hsi queues` and `hsi dead-letters`: the Redis streams between the services, read and
//! repaired directly (no gateway needed), through the gateway's own service functions
//! and `hsi-queue`, so the figures and the moves are the ones the API makes.

use crate::connect::{Direct, Target};
use crate::error::{CliError, CliResult};
use crate::output::{col, text, time, Column, Output};
use crate::progress::{bar, Interrupt};
use hsi_api_gateway::audit::{record, Entry};
use hsi_api_gateway::error::{ApiError, Code};
use hsi_api_gateway::pb::{
    GetDeadLetterRequest, GetQueueStatsRequest, ListDeadLettersRequest, RequeueDeadLettersRequest,
};
use hsi_api_gateway::resources::system::{self, queues::STREAMS};
use hsi_queue::{DeadLetter, Requeued};
use serde_json::{json, Value};

/// Dead letters moved per step of a requeue-all: each step is one atomic move in Redis,
/// and Ctrl-C is honoured between steps.
const REQUEUE_STEP: usize = 20;

/// The streams that have dead letters (the work streams), or just `only`.
pub fn work_streams(only: Option<&str>) -> CliResult<Vec<&'static str>> {
    let all: Vec<&'static str> = STREAMS
        .iter()
        .filter(|s| s.group.is_some())
        .map(|s| s.name)
        .collect();
    match only {
        None => Ok(all),
        Some(name) if all.contains(&name) => Ok(all.into_iter().filter(|s| *s == name).collect()),
        Some(name) => Err(CliError::Usage(format!(
            "--stream {name:?} is not one of {} (the streams with dead letters)",
            all.join(", ")
        ))),
    }
}

const QUEUE_COLUMNS: &[Column] = &[
    col("STREAM", |r| text(r, "stream")),
    col("GROUP", |r| text(r, "group")),
    col("LENGTH", |r| text(r, "length")),
    col("PENDING", |r| text(r, "pending")),
    col("DEAD", |r| text(r, "dead_letters")),
    col("CONSUMERS", |r| text(r, "consumers")),
    col("BUSY", |r| text(r, "busy_consumers")),
    col("IDLE MS", |r| text(r, "idle_ms")),
];

/// The figures of every stream, as JSON (`{"streams": [...]}`).
pub async fn stats(direct: &Direct) -> CliResult<Value> {
    let stats = system::queue_stats(&direct.app, &direct.caller, GetQueueStatsRequest {}).await?;
    Ok(to_json(&stats))
}

/// `hsi queues`.
pub async fn queues(target: &Target, out: Output) -> CliResult<()> {
    let direct = target.with_redis().await?;
    let doc = stats(&direct).await?;
    out.table(&doc, rows(&doc, "streams"), QUEUE_COLUMNS)
}

const LETTER_COLUMNS: &[Column] = &[
    col("STREAM", |r| text(r, "stream")),
    col("ID", |r| text(r, "id")),
    col("FAILED AT", |r| time(r, "failed_at")),
    col("TRIES", |r| text(r, "deliveries")),
    col("TYPE", |r| text(r, "message_type")),
    col("ERROR", |r| text(r, "error")),
];

/// `hsi dead-letters list [--stream S] [--limit N]`: the oldest first.
pub async fn list(target: &Target, out: Output, stream: Option<&str>, limit: u32) -> CliResult<()> {
    let streams = work_streams(stream)?;
    let direct = target.with_redis().await?;
    let mut letters = Vec::new();
    let mut more = Vec::new();
    for name in streams {
        let page = system::list_dead_letters(
            &direct.app,
            &direct.caller,
            ListDeadLettersRequest {
                stream: name.to_owned(),
                limit,
                cursor: String::new(),
            },
        )
        .await?;
        if page.has_more {
            more.push(name);
        }
        letters.extend(page.dead_letters.iter().map(to_json));
    }
    let doc = json!({"dead_letters": letters, "more_in": more});
    out.table(&doc, &letters, LETTER_COLUMNS)?;
    if !out.json && !more.is_empty() {
        out.note(&format!(
            "more dead letters wait in {}; raise --limit to see them",
            more.join(", ")
        ));
    }
    Ok(())
}

/// The one stream holding dead letter `id` (or `stream`, checked).
async fn locate(direct: &Direct, stream: Option<&str>, id: &str) -> CliResult<&'static str> {
    let mut found = Vec::new();
    for name in work_streams(stream)? {
        if DeadLetter::get(direct.redis(), direct.prefix(), name, id)
            .await?
            .is_some()
        {
            found.push(name);
        }
    }
    match found.as_slice() {
        [name] => Ok(name),
        [] => Err(CliError::NotFound(format!(
            "no dead letter {id} in {}",
            work_streams(stream)?.join(", ")
        ))),
        several => Err(CliError::Usage(format!(
            "dead letter {id} is in {}; say which with --stream",
            several.join(" and ")
        ))),
    }
}

/// `hsi dead-letters show ID [--stream S]`: every field and the decoded message.
pub async fn show(target: &Target, out: Output, stream: Option<&str>, id: &str) -> CliResult<()> {
    let direct = target.with_redis().await?;
    let name = locate(&direct, stream, id).await?;
    let letter = system::get_dead_letter(
        &direct.app,
        &direct.caller,
        GetDeadLetterRequest {
            stream: name.to_owned(),
            id: id.to_owned(),
        },
    )
    .await?;
    let doc = to_json(&letter);
    let field = |name: &str| text(&doc, name);
    out.record(
        &doc,
        &[
            ("stream", field("stream")),
            ("id", field("id")),
            ("source id", field("source_id")),
            ("failed at", field("failed_at")),
            ("deliveries", field("deliveries")),
            ("consumer", field("consumer")),
            ("type", field("message_type")),
            ("payload bytes", field("payload_bytes")),
            ("error", field("error")),
            ("message", format!("\n{}", field("payload_text"))),
        ],
    )
}

/// `hsi dead-letters requeue ID [--stream S]`: back onto its stream, audited.
pub async fn requeue_one(
    target: &Target,
    out: Output,
    stream: Option<&str>,
    id: &str,
) -> CliResult<()> {
    let direct = target.with_database().await?;
    direct.ping_redis().await?;
    let name = locate(&direct, stream, id).await?;
    let done = system::requeue_dead_letters(
        &direct.app,
        &direct.caller,
        RequeueDeadLettersRequest {
            stream: name.to_owned(),
            ids: vec![id.to_owned()],
            all: false,
        },
    )
    .await?;
    let doc = json!({"stream": name, "id": id, "requeued": done.requeued});
    if out.json {
        return out.json_value(&doc);
    }
    out.line(&format!("requeued dead letter {id} onto the {name} stream"))
}

/// What a requeue-all did to one stream.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RequeueReport {
    pub stream: String,
    /// Dead letters there when it started (the ones it set out to move).
    pub total: u64,
    pub requeued: u64,
    /// Gone before their turn (another operator requeued them meanwhile).
    pub vanished: u64,
    pub interrupted: bool,
}

/// `hsi dead-letters requeue --all [--stream S]`: with a progress bar; Ctrl-C stops
/// between steps and says how far it got.
pub async fn requeue_all(
    target: &Target,
    out: Output,
    stream: Option<&str>,
    interrupt: &Interrupt,
) -> CliResult<()> {
    let streams = work_streams(stream)?;
    let direct = target.with_database().await?;
    direct.ping_redis().await?;
    let mut reports = Vec::new();
    for name in streams {
        if interrupt.requested() {
            break;
        }
        let mut report = RequeueReport {
            stream: name.to_owned(),
            ..RequeueReport::default()
        };
        let outcome = requeue_stream(&direct, &mut report, interrupt, out.json).await;
        // One audit record per stream, with how far it got, whether it finished or not.
        let entry = Entry::new("dead_letters.requeue", "queue")
            .id(name)
            .details(json!({"all": true, "requeued": report.requeued,
                "interrupted": report.interrupted}));
        let audited = outcome
            .as_ref()
            .map(|_| ())
            .map_err(|err| ApiError::new(Code::Unavailable, err.to_string()));
        record(&direct.app.db, &direct.caller, entry, &audited).await;
        if let Err(err) = outcome {
            return Err(CliError::Other(format!(
                "requeueing the {name} dead letters stopped after {} of {}: {err}",
                report.requeued, report.total
            )));
        }
        reports.push(report);
    }
    let done: u64 = reports.iter().map(|r| r.requeued).sum();
    let total: u64 = reports.iter().map(|r| r.total).sum();
    let doc = json!({"streams": reports});
    let rows: Vec<Value> = reports.iter().map(to_json).collect();
    out.table(
        &doc,
        &rows,
        &[
            col("STREAM", |r| text(r, "stream")),
            col("DEAD AT START", |r| text(r, "total")),
            col("REQUEUED", |r| text(r, "requeued")),
            col("VANISHED", |r| text(r, "vanished")),
            col("INTERRUPTED", |r| text(r, "interrupted")),
        ],
    )?;
    if interrupt.requested() {
        return Err(CliError::Interrupted {
            done,
            total,
            left: "the rest are still dead letters; run it again to continue".to_owned(),
        });
    }
    Ok(())
}

async fn requeue_stream(
    direct: &Direct,
    report: &mut RequeueReport,
    interrupt: &Interrupt,
    quiet: bool,
) -> CliResult<()> {
    let (redis, prefix) = (direct.redis(), direct.prefix());
    let name = report.stream.clone();
    let name = name.as_str();
    // Letters that die again while this runs land after the newest one now; stopping
    // there keeps a message that keeps failing from being moved round for ever.
    let Some(last) = newest_dead_letter(direct, name).await? else {
        return Ok(());
    };
    let stats = hsi_queue::queue_stats(redis, prefix, name, "hsi-cli-no-group").await?;
    report.total = stats.dead_letters;
    let progress = bar(report.total, &format!("requeueing {name}"), quiet);
    loop {
        if interrupt.requested() {
            report.interrupted = true;
            break;
        }
        let page = DeadLetter::list_after(redis, prefix, name, None, REQUEUE_STEP).await?;
        let mut ids: Vec<String> = page
            .into_iter()
            .map(|letter| letter.id)
            .filter(|id| entry_order(id) <= entry_order(&last))
            .collect();
        if ids.is_empty() {
            break;
        }
        // One atomic move per step; an id another operator moved meanwhile is dropped
        // and the rest tried again, so nothing is moved twice or left half-moved.
        loop {
            match DeadLetter::requeue(redis, prefix, name, &ids).await? {
                Requeued::Done(added) => {
                    report.requeued += added.len() as u64;
                    progress.inc(added.len() as u64);
                    break;
                }
                Requeued::Missing(id) => {
                    ids.retain(|i| *i != id);
                    report.vanished += 1;
                    progress.inc(1);
                    if ids.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    progress.finish_and_clear();
    Ok(())
}

async fn newest_dead_letter(direct: &Direct, name: &str) -> CliResult<Option<String>> {
    let key = hsi_queue::StreamKeys::new(direct.prefix(), name).dead_letters;
    let mut conn = direct
        .redis()
        .get()
        .await
        .map_err(hsi_queue::QueueError::from)?;
    let newest: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(&key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(&mut *conn)
        .await
        .map_err(hsi_queue::QueueError::from)?;
    Ok(newest.ids.into_iter().next().map(|entry| entry.id))
}

/// A stream entry id (`<ms>-<seq>`) as a sortable pair; anything else sorts last.
pub fn entry_order(id: &str) -> (u64, u64) {
    id.split_once('-')
        .and_then(|(ms, seq)| Some((ms.parse().ok()?, seq.parse().ok()?)))
        .unwrap_or((u64::MAX, u64::MAX))
}

/// Any serialisable result as JSON (the gateway's API types serialise infallibly).
pub fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The array at `field` of `doc` (empty when absent).
pub fn rows<'a>(doc: &'a Value, field: &str) -> &'a [Value] {
    doc.get(field)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_sort_by_time_then_sequence() {
        assert!(entry_order("1700000000000-2") < entry_order("1700000000000-10"));
        assert!(entry_order("999-0") < entry_order("1000-0"));
        assert_eq!(entry_order("junk"), (u64::MAX, u64::MAX));
    }

    #[test]
    fn only_work_streams_have_dead_letters() {
        assert_eq!(
            work_streams(None).unwrap(),
            ["files", "detections", "batches"]
        );
        assert_eq!(work_streams(Some("files")).unwrap(), ["files"]);
        let err = work_streams(Some("events")).unwrap_err().to_string();
        assert!(err.contains("\"events\" is not one of files"), "{err}");
    }
}
