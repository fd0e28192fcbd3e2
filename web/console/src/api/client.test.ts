import { describe, expect, it } from "vitest";
import { queryString } from "./client";

describe("query strings", () => {
  it("repeats keys for lists and leaves out absent and empty values", () => {
    expect(queryString({ camera_ids: ["a", "b"], limit: 50, cursor: "", q: undefined, reviewed: false, x: null, y: [] })).toBe(
      "?camera_ids=a&camera_ids=b&limit=50&reviewed=false",
    );
    expect(queryString({})).toBe("");
  });
});
