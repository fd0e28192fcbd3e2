// New events as they are written, over the gateway's /ws/events WebSocket. Browsers
// cannot set headers on a WebSocket, so the key travels as the subprotocol
// "hsi-key.<key>" next to "hsi.v1" (see crates/api-gateway/src/rest.rs). After a drop
// it reconnects with after_event_id = the last id received, so nothing in between is
// missed or repeated.

import { keyRefused } from "./client";
import { Store } from "../lib/store";
import type { WatchEventsResponse } from "./types";

export type LiveState = "off" | "connecting" | "live" | "retrying";

const PROTOCOL = "hsi.v1";
/** The close code the gateway ends a revoked key's stream with. */
const POLICY_VIOLATION = 1008;
const KEY_PROTOCOL_PREFIX = "hsi-key.";
const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 30_000;

/** The app's one connection; the timeline and the nav badge listen to it. */
export class LiveFeed {
  readonly state = new Store<LiveState>("off");
  /** Events received since the user last caught up (the badge). */
  readonly unseen = new Store<number>(0);
  private listeners = new Set<(message: WatchEventsResponse) => void>();
  private socket: WebSocket | null = null;
  private key: string | null = null;
  private lastId: number | null = null;
  private retryMs = FIRST_RETRY_MS;
  private timer: number | undefined;

  /** Starts watching with `key`: events from now on. */
  start(key: string): void {
    this.stop();
    this.key = key;
    this.lastId = null;
    this.state.set("connecting");
    window.addEventListener("online", this.reconnectNow);
    document.addEventListener("visibilitychange", this.reconnectNow);
    this.connect();
  }

  stop(): void {
    this.key = null;
    window.clearTimeout(this.timer);
    window.removeEventListener("online", this.reconnectNow);
    document.removeEventListener("visibilitychange", this.reconnectNow);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "signed out");
    this.state.set("off");
    this.unseen.set(0);
  }

  listen(listener: (message: WatchEventsResponse) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest event id received (where a reconnect resumes). */
  newestId(): number | null {
    return this.lastId;
  }

  private url(): string {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const after = this.lastId == null ? "" : `?after_event_id=${this.lastId}`;
    return `${scheme}://${window.location.host}/ws/events${after}`;
  }

  private connect(): void {
    if (!this.key) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url(), [PROTOCOL, KEY_PROTOCOL_PREFIX + this.key]);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.retryMs = FIRST_RETRY_MS;
      this.state.set("live");
    };
    socket.onmessage = (frame) => {
      if (this.socket !== socket || typeof frame.data !== "string") return;
      this.receive(frame.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      // 1008: the gateway found the key revoked while the socket was open. Retrying
      // would only be refused; sign out, saying why.
      if (event.code === POLICY_VIOLATION) {
        keyRefused(event.reason || "the API key has been revoked");
        return;
      }
      this.retry();
    };
  }

  private receive(text: string): void {
    let message: WatchEventsResponse & { error?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    // An error frame comes just before the server closes; the close reconnects.
    if (message.error || !message.event) return;
    const id = message.event.id;
    if (this.lastId != null && id <= this.lastId) return;
    this.lastId = id;
    this.unseen.update((n) => n + 1);
    for (const listener of [...this.listeners]) listener(message);
  }

  private retry(): void {
    if (!this.key) return;
    this.state.set("retrying");
    window.clearTimeout(this.timer);
    // Jitter keeps many consoles from reconnecting in step after a gateway restart.
    const wait = this.retryMs * (0.75 + Math.random() / 2);
    this.retryMs = Math.min(this.retryMs * 2, LONGEST_RETRY_MS);
    this.timer = window.setTimeout(() => this.connect(), wait);
  }

  /** Back online or back in view: try at once instead of waiting out the back-off. */
  private reconnectNow = (): void => {
    if (!this.key || this.socket || document.visibilityState === "hidden") return;
    window.clearTimeout(this.timer);
    this.retryMs = FIRST_RETRY_MS;
    this.connect();
  };
}

export const live = new LiveFeed();
