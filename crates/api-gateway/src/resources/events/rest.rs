//! REST: `/api/v1/events`, and the `/ws/events` WebSocket.
//!
//! Review is `PATCH /events/{id}` with `{"reviewed": bool, "notes": "..."}` (either or
//! both).

use super::*;
use crate::error::ErrorBody;
use crate::pb::{SearchEventsRequest, SearchEventsResponse, WatchEventsRequest, WatchEventsResponse};
use crate::rest::{ApiJson, ApiPath, ApiQuery, WS_PROTOCOL};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse as _, Response};
use axum::Json;
use futures::StreamExt as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_events))
        .routes(routes!(search_events))
        .routes(routes!(get_event, review_event, delete_event))
        .routes(routes!(restore_event))
}

/// Routes outside `/api/v1`: the `/ws/events` WebSocket.
pub fn root_routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(watch_events))
}

#[utoipa::path(get, path = "/events", operation_id = "ListEvents", tag = "events",
    params(ListEventsRequest),
    responses((status = 200, body = ListEventsResponse), (status = "default", body = ErrorBody)))]
async fn list_events(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<ListEventsRequest>,
) -> ApiResult<Json<ListEventsResponse>> {
    list(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/events/search", operation_id = "SearchEvents", tag = "events",
    params(SearchEventsRequest),
    responses((status = 200, body = SearchEventsResponse), (status = "default", body = ErrorBody)))]
async fn search_events(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<SearchEventsRequest>,
) -> ApiResult<Json<SearchEventsResponse>> {
    search(&app, &caller, req).await.map(Json)
}

#[utoipa::path(get, path = "/events/{id}", operation_id = "GetEvent", tag = "events",
    params(("id" = i64, Path)),
    responses((status = 200, body = EventDetail), (status = "default", body = ErrorBody)))]
async fn get_event(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<EventDetail>> {
    get(&app, &caller, GetEventRequest { id }).await.map(Json)
}

#[utoipa::path(patch, path = "/events/{id}", operation_id = "ReviewEvent", tag = "events",
    description = "Marks the event reviewed (or not) and/or sets its notes; an empty notes string clears them.",
    params(("id" = i64, Path)), request_body = ReviewEventRequest,
    responses((status = 200, body = Event), (status = "default", body = ErrorBody)))]
async fn review_event(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReviewEventRequest>,
) -> ApiResult<Json<Event>> {
    review(&app, &caller, ReviewEventRequest { id, ..req }).await.map(Json)
}

#[utoipa::path(delete, path = "/events/{id}", operation_id = "DeleteEvent", tag = "events",
    description = "Soft delete: hidden from lists and searches until restored.",
    params(("id" = i64, Path)),
    responses((status = 200, body = Event), (status = "default", body = ErrorBody)))]
async fn delete_event(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Event>> {
    delete(&app, &caller, DeleteEventRequest { id }).await.map(Json)
}

#[utoipa::path(post, path = "/events/{id}/restore", operation_id = "RestoreEvent", tag = "events",
    params(("id" = i64, Path)),
    responses((status = 200, body = Event), (status = "default", body = ErrorBody)))]
async fn restore_event(
    State(app): State<App>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Event>> {
    restore(&app, &caller, RestoreEventRequest { id }).await.map(Json)
}

#[utoipa::path(get, path = "/ws/events", operation_id = "WatchEvents", tag = "events",
    description = "A WebSocket sending each new event with its alerts as a JSON text frame \
        (a WatchEventsResponse), oldest first. Reconnect with after_event_id = the last \
        event id received to resume without a gap. Browsers pass the key as the \
        subprotocols [\"hsi.v1\", \"hsi-key.<key>\"]; the server answers with hsi.v1. A \
        frame {\"error\": ...} followed by a close ends the stream: 1011 when reading \
        fails (reconnect), 1008 when the key has been revoked (the key is checked again \
        every auth.cache_ttl_ms while the socket is open).",
    params(("after_event_id" = Option<i64>, Query,
        description = "Resume after this event; absent: only events from now on.")),
    responses(
        (status = 101, description = "switching to the WebSocket", body = WatchEventsResponse),
        (status = "default", body = ErrorBody)))]
async fn watch_events(
    State(app): State<App>,
    caller: Caller,
    ApiQuery(req): ApiQuery<WatchEventsRequest>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::invalid("upgrade", format!("{}: connect with a WebSocket", rejection.body_text()))
    })?;
    let stream = watch(&app, &caller, req).await?;
    Ok(upgrade
        .protocols([WS_PROTOCOL])
        .on_upgrade(move |socket| pump(socket, stream))
        .into_response())
}

/// Sends the stream's messages until either side ends.
async fn pump(mut socket: WebSocket, mut stream: WatchStream) {
    loop {
        tokio::select! {
            item = stream.next() => {
                let (text, close) = match item {
                    Some(Ok(message)) => match serde_json::to_string(&message) {
                        Ok(text) => (text, None),
                        Err(err) => {
                            tracing::error!(error = %err, "cannot write an event as JSON");
                            return;
                        }
                    },
                    Some(Err(err)) => (serde_json::to_string(&err.body()).unwrap_or_default(), Some(close_frame(&err))),
                    None => return,
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
                if let Some(frame) = close {
                    let _ = socket.send(Message::Close(Some(frame))).await;
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_) | Ok(Message::Close(_))) => return,
                // Pings are answered by the library; anything else is not for us.
                Some(Ok(_)) => {}
            }
        }
    }
}

/// How an ended stream closes: a revoked key with 1008 (policy), so a client signs out
/// instead of reconnecting; anything else with 1011 (reconnect with the last id).
fn close_frame(err: &ApiError) -> CloseFrame {
    if err.code == crate::error::Code::Unauthenticated {
        CloseFrame { code: 1008, reason: "the API key has been revoked".into() }
    } else {
        CloseFrame { code: 1011, reason: "reading events failed; reconnect".into() }
    }
}
