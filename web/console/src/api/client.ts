// Talking to the gateway: every call carries the key in the Authorization header and no
// cookie (credentials: "omit"), so a page elsewhere cannot make calls on the user's
// behalf: the console needs no CSRF token and must never start relying on cookies.

import type { ErrorBody } from "./types";

export const API_PREFIX = "/api/v1";

/** A refused or failed call, with what the gateway said. */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the gateway could not be reached. */
    readonly status: number,
    /** The gateway's code ("invalid_argument", ...), or "network". */
    readonly code: string,
    message: string,
    /** The request field that was wrong, when the gateway named one. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

let key: string | null = null;
let onUnauthenticated: (error: ApiError) => void = () => {};

/** Sets the key calls are made with (null: signed out). */
export function setKey(next: string | null): void {
  key = next;
}

export function currentKey(): string | null {
  return key;
}

/** Called when the gateway refuses the key itself (revoked, or not valid). */
export function whenUnauthenticated(handler: (error: ApiError) => void): void {
  onUnauthenticated = handler;
}

/** Reports a key the gateway refused outside a call (the live socket closing 1008). */
export function keyRefused(message: string): void {
  onUnauthenticated(new ApiError(401, "unauthenticated", message));
}

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

/**
 * A query string: lists as repeated keys (`camera_ids=a&camera_ids=b`), absent and
 * empty values left out, so the gateway sees only the filters that were given.
 */
export function queryString(query: Record<string, QueryValue> | object | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query as Record<string, QueryValue>)) {
    if (value == null || value === "") continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(name, String(item));
    } else {
      params.append(name, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return key ? { Authorization: `Bearer ${key}`, ...extra } : extra;
}

async function errorOf(response: Response): Promise<ApiError> {
  let text = "";
  try {
    text = await response.text();
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error?.message) {
      return new ApiError(response.status, body.error.code, body.error.message, body.error.field ?? null);
    }
  } catch {
    // Not the gateway's JSON (a proxy's page, say): fall through to the status line.
  }
  const detail = text && text.length < 200 ? `: ${text}` : "";
  return new ApiError(response.status, "http", `${response.status} ${response.statusText}${detail}`);
}

/** Fetches `path` under the API with the key, refusing any non-2xx answer. */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(API_PREFIX + path, {
      ...init,
      credentials: "omit",
      headers: authHeaders((init.headers as Record<string, string>) ?? {}),
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "network", "The gateway could not be reached. Check the connection and try again.");
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401) onUnauthenticated(error);
    throw error;
  }
  return response;
}

export interface CallOptions {
  query?: object;
  body?: unknown;
  signal?: AbortSignal;
}

/** A JSON call: `body` is sent as JSON, the answer read as JSON. */
export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await send(path + queryString(options.query), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  return (await response.json()) as T;
}

/** Whether `err` is a cancelled request (nothing to show). */
export function isAbort(err: unknown): boolean {
  return (err as Error | null)?.name === "AbortError";
}

/** What to tell a person about a failed call. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.field ? `${err.message} (field: ${err.field})` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
