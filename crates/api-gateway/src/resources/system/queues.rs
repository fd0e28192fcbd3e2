//! The queues between the services: their figures, and the messages they gave up on
//! (listed, decoded for reading, and put back on their stream).

use super::*;
use crate::audit::{audited, Entry};
use crate::paging;
use crate::pb::{
    GetDeadLetterRequest, GetQueueStatsRequest, GetQueueStatsResponse, ListDeadLettersRequest,
    ListDeadLettersResponse, QueueDeadLetter, QueueStreamStats, RequeueDeadLettersRequest,
    RequeueDeadLettersResponse,
};
use hsi_proto::v1::{BatchMessage, DetectionsMessage, EventMessage, FileMessage};
use hsi_queue::{DeadLetter, Requeued, StreamKeys};
use prost::Message as _;
use redis::streams::StreamInfoConsumersReply;

/// A stream and who reads it. The group names are each service's default
/// (`worker.group`, `batching.group`, `analysis.group`).
#[derive(Debug, Clone, Copy)]
pub struct StreamInfo {
    pub name: &'static str,
    /// The consumer group reading it; `None` for an announce stream.
    pub group: Option<&'static str>,
    /// The service in that group.
    pub consumer: Option<&'static str>,
    pub message_type: &'static str,
}

pub const STREAMS: [StreamInfo; 4] = [
    StreamInfo {
        name: "files",
        group: Some("detection-worker"),
        consumer: Some("detection-worker"),
        message_type: "FileMessage",
    },
    StreamInfo {
        name: "detections",
        group: Some("batch-aggregator"),
        consumer: Some("batch-aggregator"),
        message_type: "DetectionsMessage",
    },
    StreamInfo {
        name: "batches",
        group: Some("analysis-worker"),
        consumer: Some("analysis-worker"),
        message_type: "BatchMessage",
    },
    StreamInfo {
        name: "events",
        group: None,
        consumer: None,
        message_type: "EventMessage",
    },
];

/// Most dead letters one requeue may name.
const REQUEUE_MAX_IDS: usize = 500;

/// A group name no stream has, for figures of a stream nobody consumes through a group.
const NO_GROUP: &str = "hsi-gateway-no-group";

pub fn stream(name: &str) -> Option<&'static StreamInfo> {
    STREAMS.iter().find(|s| s.name == name)
}

/// The work stream named in request field `stream` (the ones with dead letters).
fn work_stream(name: &str) -> ApiResult<&'static StreamInfo> {
    stream(name).filter(|s| s.group.is_some()).ok_or_else(|| {
        ApiError::invalid(
            "stream",
            format!(
                "{name:?} is not one of files, detections, batches (the streams with dead letters)"
            ),
        )
    })
}

/// A stream entry id (`<ms>-<seq>`), as request field `field`.
fn entry_id(field: &str, id: &str) -> ApiResult<()> {
    let valid = id.split_once('-').is_some_and(|(ms, seq)| {
        [ms, seq].iter().all(|part| {
            !part.is_empty() && part.len() <= 20 && part.chars().all(|c| c.is_ascii_digit())
        })
    });
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!(
                "{:?} is not a stream entry id (like 1764583200000-0)",
                id.chars().take(64).collect::<String>()
            ),
        ))
    }
}

/// A consumer group's members: (name, pending, idle ms). `None` when the group (or the
/// stream) does not exist yet.
pub async fn consumers(
    app: &App,
    stream_key: &str,
    group: &str,
) -> ApiResult<Option<Vec<(String, u64, u64)>>> {
    let mut conn = app.redis.get().await?;
    let reply: Result<StreamInfoConsumersReply, redis::RedisError> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(stream_key)
        .arg(group)
        .query_async(&mut *conn)
        .await;
    match reply {
        Ok(reply) => Ok(Some(
            reply
                .consumers
                .into_iter()
                .map(|c| (c.name, c.pending as u64, c.idle as u64))
                .collect(),
        )),
        Err(err) if err.code() == Some("NOGROUP") || err.to_string().contains("no such key") => {
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn queue_stats(
    app: &App,
    _caller: &Caller,
    _req: GetQueueStatsRequest,
) -> ApiResult<GetQueueStatsResponse> {
    let prefix = &app.settings.redis.key_prefix;
    let mut streams = Vec::with_capacity(STREAMS.len());
    for info in &STREAMS {
        let group = info.group.unwrap_or(NO_GROUP);
        let stats = hsi_queue::queue_stats(&app.redis, prefix, info.name, group).await?;
        let members = match info.group {
            Some(group) => consumers(app, &StreamKeys::new(prefix, info.name).stream, group)
                .await?
                .unwrap_or_default(),
            None => Vec::new(),
        };
        streams.push(QueueStreamStats {
            stream: info.name.to_owned(),
            group: info.group.map(str::to_owned),
            length: stats.length,
            pending: stats.pending,
            dead_letters: stats.dead_letters,
            consumers: members.len() as u64,
            busy_consumers: stats.busy_consumers,
            idle_ms: members
                .iter()
                .map(|(_, _, idle)| i64::try_from(*idle).unwrap_or(i64::MAX))
                .min(),
        });
    }
    Ok(GetQueueStatsResponse { streams })
}

/// The payload decoded as its stream's message, for reading.
fn describe(info: &StreamInfo, payload: &[u8]) -> (bool, String) {
    let decoded = match info.name {
        "files" => FileMessage::decode(payload).map(|m| format!("{m:#?}")),
        "detections" => DetectionsMessage::decode(payload).map(|m| format!("{m:#?}")),
        "batches" => BatchMessage::decode(payload).map(|m| format!("{m:#?}")),
        _ => EventMessage::decode(payload).map(|m| format!("{m:#?}")),
    };
    match decoded {
        Ok(text) => (true, text),
        Err(err) => (
            false,
            format!("does not decode as {}: {err}", info.message_type),
        ),
    }
}

fn to_message(info: &StreamInfo, letter: DeadLetter) -> QueueDeadLetter {
    let (decoded, payload_text) = describe(info, &letter.payload);
    QueueDeadLetter {
        stream: info.name.to_owned(),
        source_id: letter.source_id,
        error: letter.error,
        deliveries: letter.deliveries,
        consumer: letter.consumer,
        failed_at: (letter.failed_at_ms > 0)
            .then(|| DateTime::from_timestamp_millis(letter.failed_at_ms))
            .flatten()
            .map(ts),
        message_type: info.message_type.to_owned(),
        payload_bytes: letter.payload.len() as u64,
        decoded,
        payload_text,
        id: letter.id,
    }
}

pub async fn list_dead_letters(
    app: &App,
    _caller: &Caller,
    req: ListDeadLettersRequest,
) -> ApiResult<ListDeadLettersResponse> {
    let info = work_stream(&req.stream)?;
    let limit = paging::limit(req.limit)?;
    let after = paging::decode::<String>(&req.cursor)?;
    if let Some(after) = &after {
        entry_id("cursor", after)?;
    }
    let letters = DeadLetter::list_after(
        &app.redis,
        &app.settings.redis.key_prefix,
        info.name,
        after.as_deref(),
        limit as usize + 1,
    )
    .await?;
    let (letters, next_cursor, has_more) = paging::page(letters, limit, |last| last.id.clone());
    Ok(ListDeadLettersResponse {
        dead_letters: letters.into_iter().map(|l| to_message(info, l)).collect(),
        next_cursor,
        has_more,
    })
}

pub async fn get_dead_letter(
    app: &App,
    _caller: &Caller,
    req: GetDeadLetterRequest,
) -> ApiResult<QueueDeadLetter> {
    let info = work_stream(&req.stream)?;
    entry_id("id", &req.id)?;
    DeadLetter::get(
        &app.redis,
        &app.settings.redis.key_prefix,
        info.name,
        &req.id,
    )
    .await?
    .map(|letter| to_message(info, letter))
    .ok_or_else(|| ApiError::not_found(format!("dead letter {} of stream {}", req.id, info.name)))
}

pub async fn requeue_dead_letters(
    app: &App,
    caller: &Caller,
    req: RequeueDeadLettersRequest,
) -> ApiResult<RequeueDeadLettersResponse> {
    let shown: Vec<&str> = req.ids.iter().take(20).map(String::as_str).collect();
    let entry = Entry::new("dead_letters.requeue", "queue")
        .id(req.stream.chars().take(40).collect::<String>())
        .details(serde_json::json!({"ids": shown, "id_count": req.ids.len(), "all": req.all}));
    audited(&app.db, caller, entry, async {
        let info = work_stream(&req.stream)?;
        let prefix = &app.settings.redis.key_prefix;
        if req.all {
            if !req.ids.is_empty() {
                return Err(ApiError::invalid("all", "give ids or all, not both"));
            }
            let requeued = DeadLetter::requeue_all(&app.redis, prefix, info.name).await?;
            return Ok(RequeueDeadLettersResponse { requeued });
        }
        if req.ids.is_empty() {
            return Err(ApiError::invalid(
                "ids",
                "give the ids of the dead letters to requeue, or all",
            ));
        }
        if req.ids.len() > REQUEUE_MAX_IDS {
            return Err(ApiError::invalid(
                "ids",
                format!(
                    "{} ids is more than the {REQUEUE_MAX_IDS} one call may requeue",
                    req.ids.len()
                ),
            ));
        }
        for (i, id) in req.ids.iter().enumerate() {
            entry_id(&format!("ids[{i}]"), id)?;
        }
        match DeadLetter::requeue(&app.redis, prefix, info.name, &req.ids).await? {
            Requeued::Done(added) => Ok(RequeueDeadLettersResponse {
                requeued: added.len() as u64,
            }),
            Requeued::Missing(id) => Err(ApiError::not_found(format!(
                "dead letter {id} of stream {}",
                info.name
            ))),
        }
    })
    .await
}
