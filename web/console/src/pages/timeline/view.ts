// The timeline's view (search words and filters) lives in the URL query so a view can
// be shared and survives a reload. The parameters are named as the API names them.

import { RISK_LEVELS, type Event, type EventFilters } from "../../api/types";

export interface TimelineView extends EventFilters {
  /** Full-text search words; empty lists instead of searching. */
  q: string;
}

const LISTS = ["camera_ids", "risk_levels", "object_types"] as const;

function bool(text: string | null): boolean | undefined {
  if (text === "true") return true;
  if (text === "false") return false;
  return undefined;
}

function score(text: string | null): number | undefined {
  if (text == null || text.trim() === "") return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 100 ? n : undefined;
}

function time(text: string | null): string | undefined {
  return text && !Number.isNaN(new Date(text).getTime()) ? text : undefined;
}

/** The view a URL query describes; values that make no sense are left out. */
export function parseView(query: URLSearchParams): TimelineView {
  const levels = query.getAll("risk_levels").filter((l) => (RISK_LEVELS as string[]).includes(l));
  const view: TimelineView = {
    q: (query.get("q") ?? "").trim(),
    camera_ids: query.getAll("camera_ids").filter(Boolean),
    risk_levels: levels,
    object_types: query.getAll("object_types").filter(Boolean),
    min_score: score(query.get("min_score")),
    max_score: score(query.get("max_score")),
    start_time: time(query.get("start_time")),
    end_time: time(query.get("end_time")),
    reviewed: bool(query.get("reviewed")),
    is_fast_path: bool(query.get("is_fast_path")),
  };
  return view;
}

/** The URL query of a view, in a fixed order (so equal views have equal queries). */
export function viewQuery(view: TimelineView): string {
  const params = new URLSearchParams();
  if (view.q) params.set("q", view.q);
  for (const name of LISTS) {
    for (const value of [...(view[name] ?? [])].sort()) params.append(name, value);
  }
  const scalars: [string, unknown][] = [
    ["min_score", view.min_score],
    ["max_score", view.max_score],
    ["start_time", view.start_time],
    ["end_time", view.end_time],
    ["reviewed", view.reviewed],
    ["is_fast_path", view.is_fast_path],
  ];
  for (const [name, value] of scalars) {
    if (value !== undefined && value !== "") params.set(name, String(value));
  }
  return params.toString();
}

/** Whether any filter (not the search words) is set. */
export function hasFilters(view: TimelineView): boolean {
  return viewQuery({ ...view, q: "" }) !== "";
}

/** The filters as the API takes them (without the search words). */
export function filtersOf(view: TimelineView): EventFilters {
  const { q: _q, ...filters } = view;
  return filters;
}

/**
 * Whether a live event belongs in the view as the server would filter it. A search
 * cannot be matched here (ranking is the server's), so none does.
 */
export function matchesView(event: Event, view: TimelineView): boolean {
  if (view.q || event.deleted_at) return false;
  const any = <T,>(list: T[] | undefined, test: (item: T) => boolean) => !list?.length || list.some(test);
  if (!any(view.camera_ids, (id) => id === event.camera_id)) return false;
  if (!any(view.risk_levels, (level) => level === event.risk_level)) return false;
  const types = event.object_types.map((t) => t.toLowerCase());
  if (!any(view.object_types, (t) => types.includes(t.toLowerCase()))) return false;
  const scoreOf = event.risk_score;
  if (view.min_score != null && (scoreOf == null || scoreOf < view.min_score)) return false;
  if (view.max_score != null && (scoreOf == null || scoreOf > view.max_score)) return false;
  const started = new Date(event.started_at).getTime();
  if (view.start_time && started < new Date(view.start_time).getTime()) return false;
  if (view.end_time && started >= new Date(view.end_time).getTime()) return false;
  if (view.reviewed != null && event.reviewed !== view.reviewed) return false;
  if (view.is_fast_path != null && event.is_fast_path !== view.is_fast_path) return false;
  return true;
}

/** The filters in words ("High or critical, not reviewed"), for the list's caption. */
export function describeView(view: TimelineView, cameraName: (id: string) => string, time: (iso: string) => string): string {
  const parts: string[] = [];
  if (view.camera_ids?.length) parts.push(view.camera_ids.map(cameraName).join(" or "));
  if (view.risk_levels?.length) parts.push(view.risk_levels.join(" or "));
  if (view.min_score != null || view.max_score != null) parts.push(`score ${view.min_score ?? 0}–${view.max_score ?? 100}`);
  if (view.start_time) parts.push(`from ${time(view.start_time)}`);
  if (view.end_time) parts.push(`until ${time(view.end_time)}`);
  if (view.reviewed != null) parts.push(view.reviewed ? "reviewed" : "not reviewed");
  if (view.is_fast_path != null) parts.push(view.is_fast_path ? "fast path" : "batched");
  if (view.object_types?.length) parts.push(view.object_types.join(" or "));
  return parts.join(", ");
}
