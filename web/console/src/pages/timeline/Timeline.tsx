// The home page: newest events first, filtered and searched from the URL, loaded page by
// page as the user scrolls, with new events arriving over the WebSocket.

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { live } from "../../api/live";
import type { Event } from "../../api/types";
import { navigate, usePlace } from "../../lib/router";
import { useStore } from "../../lib/store";
import { ErrorNote, PageHead } from "../../ui/bits";
import { EventCard } from "./EventCard";
import { keptScroll, noteScroll, useFeed } from "./feed";
import { FilterPanel } from "./FilterPanel";
import { cameraName, useCameras } from "../../data/cameras";
import { formatTime } from "../../lib/format";
import { describeView, hasFilters, matchesView, parseView, viewQuery, type TimelineView } from "./view";
import { cardPosition, gridLayout, listHeight, visibleCards, type GridLayout } from "./windowing";

/** Load the next page when the viewport is this many rows from the end. */
const PREFETCH_ROWS = 4;

export function Timeline() {
  const { query } = usePlace();
  const view = parseView(query);
  const key = viewQuery(view);
  const feed = useFeed(view, key);
  const { events, hasMore, loading, error, highlights } = feed.state;

  const listRef = useRef<HTMLDivElement>(null);
  const [layout, setLayout] = useState<GridLayout | null>(null);
  const [range, setRange] = useState<[number, number]>([0, 0]);
  const [focused, setFocused] = useState<number | null>(null);
  const [filtersOpen, setFiltersOpen] = useState(hasFilters(view));
  const [pending, setPending] = useState<Event[]>([]);
  const [fresh, setFresh] = useState<Set<number>>(new Set());
  const unseen = useStore(live.unseen);
  const cameras = useCameras();
  const filterWords = describeView(view, (id) => cameraName(cameras, id), formatTime);

  // Measure the list's width; cards are laid out from it.
  useLayoutEffect(() => {
    const element = listRef.current;
    if (!element) return;
    const measure = () => setLayout(gridLayout(element.clientWidth));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // Which cards are near the viewport; recomputed once per frame while scrolling.
  const measureRange = () => {
    const element = listRef.current;
    if (!element || !layout) return;
    const offset = -element.getBoundingClientRect().top;
    noteScroll(window.scrollY);
    const next = visibleCards(offset, window.innerHeight, events.length, layout);
    setRange((now) => (now[0] === next[0] && now[1] === next[1] ? now : next));
    const rowsLeft = Math.ceil(events.length / layout.columns) - Math.ceil((offset + window.innerHeight) / layout.rowHeight);
    if (rowsLeft < PREFETCH_ROWS && hasMore && !loading && !error) feed.loadMore();
    if (offset <= 0 && pending.length > 0) showPending();
  };
  const measureRef = useRef(measureRange);
  measureRef.current = measureRange;
  useEffect(() => {
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        measureRef.current();
      });
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", onScroll);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener("scroll", onScroll);
      window.removeEventListener("resize", onScroll);
    };
  }, []);
  useLayoutEffect(() => measureRange(), [layout, events.length, hasMore, loading]);

  // Coming back to a kept list: back to where the user was.
  useLayoutEffect(() => {
    const y = keptScroll(key);
    if (layout && y != null) window.scrollTo(0, y);
  }, [layout != null, key]);

  // Live events: straight in when the top of the list is in view, else held (so the
  // cards do not move under the reader) until the badge is pressed or the top reached.
  useEffect(() => {
    setPending([]);
    return live.listen((message) => {
      const event = message.event;
      if (!event || !matchesView(event, view)) return;
      const atTop = (listRef.current?.getBoundingClientRect().top ?? 0) >= 0;
      if (atTop) {
        feed.prepend([event]);
        setFresh((now) => new Set(now).add(event.id));
      } else {
        setPending((now) => [event, ...now]);
      }
    });
  }, [key]);

  const showPending = () => {
    feed.prepend(pending);
    setFresh((now) => {
      const next = new Set(now);
      for (const event of pending) next.add(event.id);
      return next;
    });
    setPending([]);
  };

  const onBadge = () => {
    if (view.q) feed.reload(); // a search is ranked by the server: ask again
    else showPending();
    live.unseen.set(0);
    window.scrollTo({ top: 0 });
    listRef.current?.querySelector<HTMLElement>("article a")?.focus({ preventScroll: true });
  };

  const apply = (next: TimelineView) => {
    const text = viewQuery(next);
    navigate(text ? `/?${text}` : "/");
  };

  const search = (submitEvent: SubmitEvent) => {
    submitEvent.preventDefault();
    const form = new FormData(submitEvent.currentTarget as HTMLFormElement);
    apply({ ...view, q: String(form.get("q") ?? "").trim() });
  };

  // Keep the focused card rendered even when scrolled away, so focus is not lost.
  const indexes: number[] = [];
  // The range may still be the old list's for a render after the list changed.
  for (let i = range[0]; i < Math.min(range[1], events.length); i++) indexes.push(i);
  if (focused != null && focused < events.length && (focused < range[0] || focused >= range[1])) indexes.push(focused);

  return (
    <section class="timeline">
      <PageHead title={view.q ? `Search: ${view.q}` : "Timeline"}>
        <button
          type="button"
          class={`live-badge${unseen > 0 ? " live-badge--active" : ""}`}
          onClick={onBadge}
          data-testid="live-badge"
        >
          {unseen > 0 ? `${unseen} new` : "Live"}
          <span class="visually-hidden">{unseen > 0 ? " events: show them" : ": no new events"}</span>
        </button>
      </PageHead>
      <div class="toolbar">
        <form role="search" class="search" onSubmit={search} key={`q-${view.q}`}>
          <label for="timeline-search" class="visually-hidden">
            Search events
          </label>
          <input
            id="timeline-search"
            type="search"
            name="q"
            defaultValue={view.q}
            placeholder='Search: person driveway -cat "red car"'
            data-testid="search-input"
          />
          <button type="submit" class="button" data-testid="search-submit">
            Search
          </button>
          {view.q && (
            <button type="button" class="button" onClick={() => apply({ ...view, q: "" })} data-testid="search-clear">
              Clear search
            </button>
          )}
        </form>
        <button
          type="button"
          class="button"
          aria-expanded={filtersOpen}
          aria-controls="timeline-filters"
          onClick={() => setFiltersOpen(!filtersOpen)}
          data-testid="filters-toggle"
        >
          Filters{hasFilters(view) ? " (on)" : ""}
        </button>
      </div>
      <div id="timeline-filters" hidden={!filtersOpen}>
        <FilterPanel key={key} view={view} onApply={apply} />
      </div>
      <p class="muted timeline__count" role="status" data-testid="timeline-count">
        {events.length === 0 && !loading && !error
          ? view.q || hasFilters(view)
            ? "No events match."
            : "No events yet."
          : `${events.length}${hasMore ? "+" : ""} events${view.q ? ", best matches first" : ""}`}
        {filterWords && ` · ${filterWords}`}
      </p>
      <div
        ref={listRef}
        class={`feed${layout?.compact ? " feed--compact" : ""}`}
        role="feed"
        aria-busy={loading}
        aria-label="Events"
        data-testid="timeline"
        style={{ height: layout ? `${listHeight(events.length, layout)}px` : undefined }}
        onFocusIn={(focusEvent) => {
          const card = (focusEvent.target as HTMLElement).closest<HTMLElement>("[data-index]");
          setFocused(card ? Number(card.dataset.index) : null);
        }}
      >
        {layout &&
          indexes.map((index) => {
            const event = events[index] as Event;
            const at = cardPosition(index, layout);
            return (
              <EventCard
                key={event.id}
                event={event}
                highlight={highlights.get(event.id)}
                index={index}
                setSize={hasMore ? -1 : events.length}
                fresh={fresh.has(event.id)}
                compact={layout.compact}
                style={{
                  transform: `translate(${at.left}px, ${at.top}px)`,
                  width: `${layout.cardWidth}px`,
                  height: `${layout.cardHeight}px`,
                }}
              />
            );
          })}
      </div>
      {loading && <p class="muted" role="status">Loading events…</p>}
      <ErrorNote error={error} retry={feed.loadMore} />
      {!hasMore && events.length > 0 && <p class="muted timeline__end">That is every event.</p>}
    </section>
  );
}
