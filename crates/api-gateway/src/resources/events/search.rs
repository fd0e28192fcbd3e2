//! Full-text search over `events.search_vector` (summary, camera name, object types,
//! reasoning; kept current by a trigger and indexed by GIN).
//!
//! Ranking every match of a common word among a million events would read them all, so
//! a search ranks the newest [`WINDOW`] matching events (narrow the time range to reach
//! older ones). Pages follow each other by keyset on (rank, id) inside that window,
//! and the cursor pins the window to the events that existed at the first page, so
//! events arriving meanwhile neither repeat nor shift results.

use super::query::{raw_criteria, Conditions, Criteria};
use super::{statement, Event, EventRow, EVENT_COLUMNS};
use crate::app::App;
use crate::auth::Caller;
use crate::convert::bounded;
use crate::error::ApiResult;
use crate::paging;
use crate::pb::{EventSearchHit, SearchEventsRequest, SearchEventsResponse};
use sea_orm::{ConnectionTrait as _, FromQueryResult, Statement};
use serde::{Deserialize, Serialize};

/// How many of the newest matches a search ranks: four pages of 50. A million-event
/// bench measured walking to the newest 1,000 matches of a common word at 4.5 ms of
/// PostgreSQL time per search, and to 200 at 1.0 ms; people searching a security
/// timeline want the recent matches, and narrow the time range for older ones.
const WINDOW: i64 = 200;
/// The newest events looked at to tell a common word from a rare one ...
const SAMPLE: i64 = 500;
/// ... and how many of them must match (5 %) for the newest events to be walked
/// rather than every match read through the GIN index.
const DENSE: i64 = 25;
const Q_MAX: usize = 500;
/// HTML-escapes a text column for ts_headline, whose <mark> tags are then the only markup.
macro_rules! escaped {
    ($column:literal) => {
        concat!(
            "replace(replace(replace(coalesce(",
            $column,
            ", ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
        )
    };
}

/// Where the next page starts: after (rank, id), among events up to `as_of`.
#[derive(Debug, Serialize, Deserialize)]
struct SearchCursor {
    rank: f32,
    id: i64,
    as_of: i64,
}

#[derive(Debug, FromQueryResult)]
struct HitRow {
    #[sea_orm(nested)]
    event: EventRow,
    rank: f32,
    summary_highlight: String,
    reasoning_highlight: String,
}

#[derive(Debug, FromQueryResult)]
struct MaxId {
    max_id: i64,
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

pub async fn search(app: &App, _caller: &Caller, req: SearchEventsRequest) -> ApiResult<SearchEventsResponse> {
    bounded("q", &req.q, Q_MAX, true)?;
    let criteria = Criteria::check(raw_criteria!(req))?;
    let limit = paging::limit(req.limit)?;
    let cursor = paging::decode::<SearchCursor>(&req.cursor)?;
    let as_of = match &cursor {
        Some(cursor) => cursor.as_of,
        None => {
            MaxId::find_by_statement(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT coalesce(max(id), 0)::int8 AS max_id FROM events",
            ))
            .one(&app.db)
            .await?
            .map_or(0, |row| row.max_id)
        }
    };

    let mut sql = Conditions::default();
    let q = sql.bind(req.q.trim().to_owned());
    let query = format!("websearch_to_tsquery('english', {q})");
    let window_end = sql.bind(as_of);
    sql.push(format!("e.id <= {window_end}"));
    criteria.apply(&mut sql);
    // Never empty: the window's end is always there.
    let others = sql.where_clause();
    let matching = format!("{others} AND e.search_vector @@ {query}");

    // Walking the newest events until enough match is fast for a common word and ruinous
    // for a rare one, and the planner can only guess which a word is when it has no
    // statistics on it. So look: how many of the newest events (as the walk would
    // read them) match?
    let sample = format!(
        "SELECT count(*)::int8 AS n FROM (SELECT e.search_vector FROM events e {others} \
         ORDER BY e.started_at DESC, e.id DESC LIMIT {SAMPLE}) r WHERE r.search_vector @@ {query}"
    );
    let dense = Count::find_by_statement(statement(app, &sample, sql.values.clone()))
        .one(&app.db)
        .await?
        .map_or(0, |row| row.n)
        >= DENSE;
    let rank = format!("ts_rank_cd(e.search_vector, {query})");
    let hits = if dense {
        // Common: walk the events newest first until enough match.
        format!(
            "hits AS MATERIALIZED (SELECT e.id::int8 AS id, {rank} AS rank FROM events e {matching} \
                ORDER BY e.started_at DESC, e.id DESC LIMIT {WINDOW})"
        )
    } else {
        // Rare: read every match through the GIN index (the CTE keeps the planner from
        // walking instead), then keep the newest.
        format!(
            "matches AS MATERIALIZED (SELECT e.id, e.started_at, {rank} AS rank FROM events e {matching}), \
             hits AS MATERIALIZED (SELECT id::int8 AS id, rank FROM matches \
                ORDER BY started_at DESC, id DESC LIMIT {WINDOW})"
        )
    };
    let keyset = match &cursor {
        Some(cursor) => {
            let (r, i) = (sql.bind(cursor.rank), sql.bind(cursor.id));
            format!("WHERE (h.rank, h.id) < ({r}::real, {i}::int8)")
        }
        None => String::new(),
    };
    let l = sql.bind(limit as i64 + 1);
    let text = format!(
        "WITH {hits} \
         SELECT {EVENT_COLUMNS}, h.rank, \
            ts_headline('english', {summary}, {query}, \
                'StartSel=<mark>, StopSel=</mark>, HighlightAll=true') AS summary_highlight, \
            ts_headline('english', {reasoning}, {query}, \
                'StartSel=<mark>, StopSel=</mark>, MaxFragments=2, MaxWords=30, MinWords=10, FragmentDelimiter=\" … \"') \
                AS reasoning_highlight \
         FROM (SELECT * FROM hits h {keyset} ORDER BY h.rank DESC, h.id DESC LIMIT {l}) h \
         JOIN events e ON e.id = h.id JOIN cameras c ON c.id = e.camera_id \
         ORDER BY h.rank DESC, h.id DESC",
        summary = escaped!("e.summary"),
        reasoning = escaped!("e.reasoning"),
    );
    let rows = HitRow::find_by_statement(statement(app, &text, sql.values))
        .all(&app.db)
        .await?;
    let (rows, next_cursor, has_more) = paging::page(rows, limit, |last| SearchCursor {
            rank: last.rank,
            id: i64::from(last.event.id),
            as_of,
        });
    Ok(SearchEventsResponse {
        hits: rows
            .into_iter()
            .map(|row| EventSearchHit {
                rank: row.rank,
                summary_highlight: row.summary_highlight,
                reasoning_highlight: row.reasoning_highlight,
                event: Some(Event::from(row.event)),
            })
            .collect(),
        next_cursor,
        has_more,
    })
}
