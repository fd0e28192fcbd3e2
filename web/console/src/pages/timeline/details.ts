// What a card needs beyond the event: its detections (for the picture and its boxes) and
// whether the judgement was a fallback. Event lists do not carry them, so each card
// asks GET /events/{id} once it has stayed in view a moment; answers are kept for
// scrolling back.

import { useEffect, useState } from "preact/hooks";
import { isAbort } from "../../api/client";
import { getEvent } from "../../api/endpoints";
import type { EventDetail } from "../../api/types";
import { fetchSlots } from "../../lib/slots";

/**
 * How long the timeline must rest before a card in view asks: a fling, or a wheel held
 * down, passes hundreds of cards, and asking for each would spend the key's rate limit
 * on pictures nobody looked at.
 */
const SETTLE_MS = 150;
let lastScroll = 0;
window.addEventListener(
  "scroll",
  () => {
    lastScroll = performance.now();
  },
  { passive: true, capture: true },
);

/** Runs `run` once scrolling has rested SETTLE_MS; answers a cancel. */
function whenSettled(run: () => void): () => void {
  let timer = 0;
  const check = (): void => {
    const resting = performance.now() - lastScroll;
    if (resting >= SETTLE_MS) run();
    else timer = window.setTimeout(check, SETTLE_MS - resting);
  };
  timer = window.setTimeout(check, SETTLE_MS);
  return () => window.clearTimeout(timer);
}
const KEPT = 400;
const details = new Map<number, EventDetail>();

function keep(id: number, detail: EventDetail): void {
  details.delete(id);
  details.set(id, detail);
  if (details.size > KEPT) {
    const oldest = details.keys().next().value;
    if (oldest !== undefined) details.delete(oldest);
  }
}

/** Forgets an event's detail (it changed). */
export function forgetDetail(id: number): void {
  details.delete(id);
}

export function useCardDetail(id: number): EventDetail | null {
  const [detail, setDetail] = useState<EventDetail | null>(() => details.get(id) ?? null);
  useEffect(() => {
    const known = details.get(id);
    if (known) {
      setDetail(known);
      return;
    }
    setDetail(null);
    const abort = new AbortController();
    const cancel = whenSettled(() => {
      fetchSlots.run(() => getEvent(id, abort.signal), abort.signal).then(
        (answer) => {
          keep(id, answer);
          if (!abort.signal.aborted) setDetail(answer);
        },
        (err) => {
          if (!isAbort(err)) console.warn(`event ${id}: could not load its detections`);
        },
      );
    });
    return () => {
      cancel();
      abort.abort();
    };
  }, [id]);
  return detail;
}
