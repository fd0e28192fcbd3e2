import { describe, expect, it } from "vitest";
import type { AlertRule } from "../../api/types";
import { draftOf, formOf } from "./ruleForm";

const rule: AlertRule = {
  id: "r1",
  name: "Night person",
  description: null,
  enabled: true,
  severity: "high",
  risk_threshold: 60,
  object_types: ["person"],
  camera_ids: ["front"],
  zone_ids: [],
  min_confidence: null,
  schedule: { days: ["mon"], start_time: "22:00", end_time: "06:00", timezone: "Europe/London" },
  dedup_key_template: "{camera_id}:{rule_id}",
  cooldown_seconds: 300,
  channels: [{ type: "webhook", url: "https://x.example/h", headers: [{ name: "x-token", value: "t" }], timeout_ms: null, name: null }],
  created_at: "",
  updated_at: "",
};

describe("rule form", () => {
  it("sends only the draft's fields, blank ones left out", () => {
    const draft = draftOf(formOf(rule));
    expect(Object.keys(draft).sort()).toEqual(
      ["camera_ids", "channels", "cooldown_seconds", "dedup_key_template", "description", "enabled", "min_confidence",
        "name", "object_types", "risk_threshold", "schedule", "severity", "zone_ids"].sort(),
    );
    expect(draft.description).toBeUndefined();
    expect(draft.min_confidence).toBeUndefined();
    expect(draft.schedule).toEqual({ days: ["monday"], start_time: "22:00", end_time: "06:00", timezone: "Europe/London" });
    expect(draft.channels).toEqual([
      { type: "webhook", url: "https://x.example/h", headers: [{ name: "x-token", value: "t" }], timeout_ms: undefined, name: undefined },
    ]);
    // What JSON.stringify sends: undefined fields vanish.
    expect(JSON.parse(JSON.stringify(draft)).description).toBeUndefined();
  });

  it("leaves the schedule out when nothing of it is set", () => {
    const form = { ...formOf(null), name: "Any" };
    const draft = draftOf(form);
    expect(draft.schedule).toBeUndefined();
    expect(draft.cooldown_seconds).toBe(300);
    expect(draft.object_types).toEqual([]);
  });
});
