import { describe, expect, it } from "vitest";
import type { Event } from "../../api/types";
import { describeView, hasFilters, matchesView, parseView, viewQuery } from "./view";

const event: Event = {
  id: 7,
  batch_id: "b",
  camera_id: "front",
  camera_name: "Front",
  started_at: "2026-12-01T10:00:00.000Z",
  risk_score: 70,
  risk_level: "high",
  object_types: ["Person", "car"],
  detection_ids: [],
  reviewed: false,
  is_fast_path: false,
};

describe("timeline view in the URL", () => {
  it("round-trips through the query string in a fixed order", () => {
    const view = parseView(
      new URLSearchParams("risk_levels=high&camera_ids=b&camera_ids=a&min_score=10&reviewed=false&q=red%20car"),
    );
    expect(view).toMatchObject({ q: "red car", camera_ids: ["b", "a"], risk_levels: ["high"], min_score: 10, reviewed: false });
    expect(viewQuery(view)).toBe("q=red+car&camera_ids=a&camera_ids=b&risk_levels=high&min_score=10&reviewed=false");
    expect(parseView(new URLSearchParams(viewQuery(view)))).toEqual(parseView(new URLSearchParams(viewQuery(view))));
  });

  it("leaves out values the API would refuse", () => {
    const view = parseView(new URLSearchParams("risk_levels=severe&min_score=101&max_score=x&start_time=yesterday&reviewed=maybe"));
    expect(viewQuery(view)).toBe("");
    expect(hasFilters(view)).toBe(false);
  });

  it("matches live events as the server filters them", () => {
    const view = (query: string) => parseView(new URLSearchParams(query));
    expect(matchesView(event, view(""))).toBe(true);
    expect(matchesView(event, view("camera_ids=back"))).toBe(false);
    expect(matchesView(event, view("object_types=person"))).toBe(true);
    expect(matchesView(event, view("min_score=71"))).toBe(false);
    expect(matchesView(event, view("max_score=70&risk_levels=high"))).toBe(true);
    expect(matchesView(event, view("end_time=2026-12-01T10:00:00Z"))).toBe(false);
    expect(matchesView(event, view("start_time=2026-12-01T10:00:00Z"))).toBe(true);
    expect(matchesView(event, view("reviewed=true"))).toBe(false);
    expect(matchesView(event, view("q=person")), "a search is ranked by the server").toBe(false);
    expect(matchesView({ ...event, deleted_at: "2026-12-01T11:00:00Z" }, view(""))).toBe(false);
  });
});

describe("describing a view", () => {
  it("puts the filters in words", () => {
    const view = parseView(new URLSearchParams("risk_levels=high&risk_levels=critical&reviewed=false&camera_ids=front&min_score=50"));
    expect(describeView(view, (id) => id.toUpperCase(), (t) => t)).toBe("FRONT, high or critical, score 50–100, not reviewed");
    expect(describeView(parseView(new URLSearchParams("")), (id) => id, (t) => t)).toBe("");
  });
});
