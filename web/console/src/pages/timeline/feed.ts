// The timeline's events: pages fetched by the API's cursor as the user scrolls, live
// events put in front, and the whole list kept when the user opens an event and comes
// back (so the back button returns to the same place, not to the top).

import { useEffect, useRef, useState } from "preact/hooks";
import { isAbort } from "../../api/client";
import { listEvents, searchEvents } from "../../api/endpoints";
import type { Event } from "../../api/types";
import { filtersOf, type TimelineView } from "./view";

const PAGE = 100;

export interface Highlight {
  summary: string;
  reasoning: string;
}

export interface FeedState {
  events: Event[];
  /** Search highlights by event id. */
  highlights: Map<number, Highlight>;
  cursor: string;
  hasMore: boolean;
  loading: boolean;
  error: unknown;
}

interface Kept {
  key: string;
  state: FeedState;
  scrollY: number;
}

/** The last timeline left, to return to. */
let kept: Kept | null = null;
/**
 * Where the timeline was scrolled to, noted while scrolling: by the time a list unmounts
 * the next page has already scrolled the window to its top.
 */
let lastScrollY = 0;

export function noteScroll(y: number): void {
  lastScrollY = y;
}

export function keptScroll(key: string): number | null {
  return kept?.key === key ? kept.scrollY : null;
}

const empty = (): FeedState => ({
  events: [],
  highlights: new Map(),
  cursor: "",
  hasMore: true,
  loading: false,
  error: null,
});

async function fetchPage(view: TimelineView, cursor: string, signal: AbortSignal) {
  const query = { ...filtersOf(view), cursor: cursor || undefined, limit: PAGE };
  if (!view.q) {
    const page = await listEvents(query, signal);
    return { events: page.events, highlights: [] as [number, Highlight][], cursor: page.next_cursor, hasMore: page.has_more };
  }
  const page = await searchEvents({ ...query, q: view.q }, signal);
  const events: Event[] = [];
  const highlights: [number, Highlight][] = [];
  for (const hit of page.hits) {
    if (!hit.event) continue;
    events.push(hit.event);
    highlights.push([hit.event.id, { summary: hit.summary_highlight, reasoning: hit.reasoning_highlight }]);
  }
  return { events, highlights, cursor: page.next_cursor, hasMore: page.has_more };
}

export interface Feed {
  state: FeedState;
  loadMore: () => void;
  /** Puts live events in front (newest first), skipping ones already listed. */
  prepend: (events: Event[]) => void;
  /** Replaces an event that changed (reviewed, deleted). */
  replace: (event: Event) => void;
  reload: () => void;
}

export function useFeed(view: TimelineView, key: string): Feed {
  const [state, setState] = useState<FeedState>(() => (kept?.key === key ? kept.state : empty()));
  const stateRef = useRef(state);
  stateRef.current = state;
  const abortRef = useRef<AbortController | null>(null);
  const [round, setRound] = useState(0);
  const startOverRef = useRef(false);

  const load = (from: FeedState) => {
    if (from.loading || !from.hasMore) return;
    const abort = new AbortController();
    abortRef.current = abort;
    setState({ ...from, loading: true, error: null });
    fetchPage(view, from.cursor, abort.signal).then(
      (page) => {
        if (abort.signal.aborted) return;
        setState((now) => {
          const seen = new Set(now.events.map((e) => e.id));
          const highlights = new Map(now.highlights);
          for (const [id, h] of page.highlights) highlights.set(id, h);
          return {
            events: [...now.events, ...page.events.filter((e) => !seen.has(e.id))],
            highlights,
            cursor: page.cursor,
            hasMore: page.hasMore && page.cursor !== "",
            loading: false,
            error: null,
          };
        });
      },
      (error) => {
        if (abort.signal.aborted || isAbort(error)) return;
        setState((now) => ({ ...now, loading: false, error }));
      },
    );
  };

  // A new view starts over, unless it is the one kept from before.
  useEffect(() => {
    const start = kept?.key === key && !startOverRef.current ? kept.state : empty();
    startOverRef.current = false;
    setState(start);
    if (start.events.length === 0) load(start);
    return () => {
      abortRef.current?.abort();
      kept = { key, state: { ...stateRef.current, loading: false }, scrollY: lastScrollY };
    };
  }, [key, round]);

  return {
    state,
    loadMore: () => load(stateRef.current),
    prepend: (events) =>
      setState((now) => {
        const seen = new Set(now.events.map((e) => e.id));
        const fresh = events.filter((e) => !seen.has(e.id)).sort((a, b) => b.id - a.id);
        return fresh.length ? { ...now, events: [...fresh, ...now.events] } : now;
      }),
    replace: (event) =>
      setState((now) => ({ ...now, events: now.events.map((e) => (e.id === event.id ? event : e)) })),
    reload: () => {
      startOverRef.current = true;
      setRound((n) => n + 1);
    },
  };
}

/** Updates an event in the kept list (it was reviewed or deleted on its own page). */
export function patchKept(event: Event): void {
  if (!kept) return;
  kept.state = { ...kept.state, events: kept.state.events.map((e) => (e.id === event.id ? event : e)) };
}
