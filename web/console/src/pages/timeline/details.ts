// What a card needs beyond the event: its detections (for the picture and its boxes) and
// whether the judgement was a fallback. Event lists do not carry them, so each card
// asks GET /events/{id} once it has stayed in view a moment; answers are kept for
// scrolling back.

import { useEffect, useState } from "preact/hooks";
import { isAbort } from "../../api/client";
import { getEvent } from "../../api/endpoints";
import type { EventDetail } from "../../api/types";
import { fetchSlots } from "../../lib/slots";

/** How long a card must stay in view before it asks (a fling scrolls past many). */
const SETTLE_MS = 150;
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
    const timer = window.setTimeout(() => {
      fetchSlots.run(() => getEvent(id, abort.signal), abort.signal).then(
        (answer) => {
          keep(id, answer);
          if (!abort.signal.aborted) setDetail(answer);
        },
        (err) => {
          if (!isAbort(err)) console.warn(`event ${id}: could not load its detections`);
        },
      );
    }, SETTLE_MS);
    return () => {
      window.clearTimeout(timer);
      abort.abort();
    };
  }, [id]);
  return detail;
}
