//! Watching new events: the stream both the gRPC `WatchEvents` and the `/ws/events`
//! WebSocket send.
//!
//! The live hub only says "event N exists"; PostgreSQL is the record. A watcher
//! subscribes to the hub first, then reads the backlog after the id it was given, then
//! for each notice reads every event after the last one it sent. So an event written
//! while the backlog was read is announced to a subscriber that already listens, one
//! announced twice is sent once, and one whose announcement was lost (a lagging
//! watcher, a Redis reconnect) is read when the next notice or resync comes. A client
//! that reconnects with the last id it received resumes without a gap.

use super::{alerts_of, statement, Event, EventAlert, EventRow, EVENT_COLUMNS, EVENT_FROM};
use crate::app::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::live::LiveNotice;
use crate::pb::{WatchEventsRequest, WatchEventsResponse};
use futures::Stream;
use sea_orm::{ConnectionTrait as _, FromQueryResult, Statement};
use std::collections::HashMap;
use std::pin::Pin;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

/// What a watcher receives: each new event with its alerts, oldest first; an error
/// ends the stream (reconnect with the last id received).
pub type WatchStream = Pin<Box<dyn Stream<Item = ApiResult<WatchEventsResponse>> + Send>>;

/// Events read from PostgreSQL at a time.
const PAGE: i64 = 100;
/// Messages a slow watcher may have waiting before reading pauses.
const BUFFER: usize = 32;

#[derive(Debug, FromQueryResult)]
struct MaxId {
    max_id: i64,
}

/// Starts watching: the backlog after `after_event_id` (none when absent), then every
/// new event.
pub async fn watch(app: &App, caller: &Caller, req: WatchEventsRequest) -> ApiResult<WatchStream> {
    if let Some(after) = req.after_event_id {
        if after < 0 {
            return Err(ApiError::invalid(
                "after_event_id",
                format!("after_event_id {after} is negative"),
            ));
        }
    }
    // Subscribe before reading anything, so nothing written from now on goes unheard.
    let live = app.live.subscribe();
    let last = match req.after_event_id {
        Some(after) => after,
        None => newest_id(app).await?,
    };
    let (sender, receiver) = mpsc::channel(BUFFER);
    tokio::spawn(forward(app.clone(), live, last, sender, caller.key_id));
    Ok(Box::pin(ReceiverStream::new(receiver)))
}

async fn newest_id(app: &App) -> ApiResult<i64> {
    Ok(MaxId::find_by_statement(Statement::from_string(
        app.db.get_database_backend(),
        "SELECT coalesce(max(id), 0)::int8 AS max_id FROM events",
    ))
    .one(&app.db)
    .await?
    .map_or(0, |row| row.max_id))
}

type Sender = mpsc::Sender<ApiResult<WatchEventsResponse>>;

/// Feeds one watcher until it goes away, reading fails, or its key (`key_id`) is
/// revoked: a stream outlives the request that checked the key, so the key is checked
/// again every `auth.cache_ttl_ms`.
async fn forward(
    app: App,
    mut live: broadcast::Receiver<LiveNotice>,
    mut last: i64,
    sender: Sender,
    key_id: Option<i32>,
) {
    let mut recheck = tokio::time::interval(app.keys.recheck_every());
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck.reset();
    loop {
        match catch_up(&app, &mut last, &sender).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                let _ = sender.send(Err(err)).await;
                return;
            }
        }
        // Wait for something newer than what was sent.
        loop {
            let notice = tokio::select! {
                notice = live.recv() => notice,
                () = sender.closed() => return,
                _ = recheck.tick(), if key_id.is_some() => {
                    let Some(id) = key_id else { continue };
                    match app.keys.still_valid(id).await {
                        Ok(true) => continue,
                        Ok(false) => {
                            let _ = sender
                                .send(Err(ApiError::unauthenticated("the API key has been revoked")))
                                .await;
                            return;
                        }
                        // PostgreSQL is away: the next read fails and ends the stream
                        // if it stays away; a blip does not cut watchers off.
                        Err(err) => {
                            tracing::debug!(error = %err, "could not recheck a watcher's key");
                            continue;
                        }
                    }
                }
            };
            match notice {
                Ok(LiveNotice::Event(id)) if id <= last => continue,
                Ok(LiveNotice::Event(_) | LiveNotice::Resync) => break,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "a watcher fell behind; reading from PostgreSQL");
                    break;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

/// Sends every event after `last`, oldest first, moving `last` along; false when the
/// watcher has gone.
async fn catch_up(app: &App, last: &mut i64, sender: &Sender) -> ApiResult<bool> {
    loop {
        let events = after(app, *last).await?;
        let full = events.len() as i64 == PAGE;
        for message in events {
            let id = message.event.as_ref().map_or(*last, |e| e.id);
            if sender.send(Ok(message)).await.is_err() {
                return Ok(false);
            }
            *last = id;
        }
        if !full {
            return Ok(true);
        }
    }
}

/// Up to a page of events after `last` (deleted ones left out), with their alerts.
async fn after(app: &App, last: i64) -> ApiResult<Vec<WatchEventsResponse>> {
    let text = format!(
        "SELECT {EVENT_COLUMNS} {EVENT_FROM} WHERE e.id > $1 AND e.deleted_at IS NULL \
         ORDER BY e.id LIMIT $2"
    );
    let rows = EventRow::find_by_statement(statement(app, &text, vec![last.into(), PAGE.into()]))
        .all(&app.db)
        .await?;
    let mut alerts: HashMap<i32, Vec<EventAlert>> = HashMap::new();
    for alert in alerts_of(app, rows.iter().map(|r| r.id).collect()).await? {
        alerts.entry(alert.event_id).or_default().push(EventAlert::from(alert));
    }
    Ok(rows
        .into_iter()
        .map(|row| WatchEventsResponse {
            alerts: alerts.remove(&row.id).unwrap_or_default(),
            event: Some(Event::from(row)),
        })
        .collect())
}
