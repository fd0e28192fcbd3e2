// Pictures need the key too, so an <img src> cannot fetch them: they are fetched as
// blobs with the Authorization header and shown through object URLs. Each URL is
// shared by everyone showing that picture and revoked once nobody has for a while
// (kept a little so scrolling back does not fetch again).

import { useEffect, useState } from "preact/hooks";
import { isAbort, send } from "./client";
import { fetchSlots } from "../lib/slots";

interface Entry {
  url: string | null;
  error: unknown;
  users: number;
  promise: Promise<string> | null;
  abort: AbortController;
  /** When the last user let go (for eviction). */
  idleSince: number;
}

/** Object URLs kept with nobody using them. */
const IDLE_KEPT = 120;
const entries = new Map<string, Entry>();

function evict(): void {
  const idle = [...entries.entries()].filter(([, entry]) => entry.users === 0);
  if (idle.length <= IDLE_KEPT) return;
  idle.sort((a, b) => a[1].idleSince - b[1].idleSince);
  for (const [path, entry] of idle.slice(0, idle.length - IDLE_KEPT)) {
    drop(path, entry);
  }
}

function drop(path: string, entry: Entry): void {
  entry.abort.abort();
  if (entry.url) URL.revokeObjectURL(entry.url);
  entries.delete(path);
}

function load(path: string, entry: Entry): Promise<string> {
  entry.promise = fetchSlots
    .run(async () => {
      const response = await send(path, { signal: entry.abort.signal });
      return URL.createObjectURL(await response.blob());
    }, entry.abort.signal)
    .then((url) => {
      if (entries.get(path) !== entry) {
        URL.revokeObjectURL(url); // dropped while loading
      } else {
        entry.url = url;
      }
      return url;
    });
  entry.promise.catch((err) => {
    entry.error = err;
    // A failed or cancelled load is forgotten so a later look tries again.
    if (entries.get(path) === entry && entry.users === 0) entries.delete(path);
  });
  return entry.promise;
}

/** Starts using the picture at API path `path`; call the answer to stop. */
function acquire(path: string): { entry: Entry; release: () => void } {
  let entry = entries.get(path);
  if (!entry || (entry.error && !entry.url)) {
    entry = { url: null, error: null, users: 0, promise: null, abort: new AbortController(), idleSince: 0 };
    entries.set(path, entry);
    load(path, entry);
  }
  entry.users++;
  const held = entry;
  return {
    entry: held,
    release: () => {
      held.users--;
      if (held.users > 0) return;
      held.idleSince = performance.now();
      // Nobody waits for a picture still loading: cancel it (or drop it from the queue).
      if (!held.url) drop(path, held);
      evict();
    },
  };
}

/** Revokes every object URL (signing out). */
export function forgetImages(): void {
  for (const [path, entry] of [...entries.entries()]) drop(path, entry);
}

export interface ImageState {
  url: string | null;
  error: unknown;
}

/** The object URL of the picture at API path `path` (null: none wanted yet). */
export function useImage(path: string | null): ImageState {
  const [state, setState] = useState<ImageState>({ url: null, error: null });
  useEffect(() => {
    if (!path) {
      setState({ url: null, error: null });
      return;
    }
    const { entry, release } = acquire(path);
    let live = true;
    setState({ url: entry.url, error: null });
    if (!entry.url) {
      entry.promise?.then(
        (url) => live && setState({ url, error: null }),
        (error) => live && !isAbort(error) && setState({ url: null, error }),
      );
    }
    return () => {
      live = false;
      release();
    };
  }, [path]);
  return state;
}
