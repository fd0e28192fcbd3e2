// Between the rule form (text boxes hold strings) and the AlertRuleDraft the API takes:
// blank optional fields are left out so the gateway applies its defaults, and nothing
// the message lacks is sent (the gateway refuses unknown fields).

import type { AlertRule, AlertRuleDraft } from "../../api/types";
import { splitList } from "../../lib/format";

export const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

export interface ChannelForm {
  name: string;
  url: string;
  timeout_ms: string;
  headers: { name: string; value: string }[];
}

export interface RuleForm {
  name: string;
  description: string;
  enabled: boolean;
  severity: string;
  risk_threshold: string;
  min_confidence: string;
  object_types: string;
  camera_ids: string[];
  zone_ids: string[];
  days: string[];
  start_time: string;
  end_time: string;
  timezone: string;
  cooldown_seconds: string;
  dedup_key_template: string;
  channels: ChannelForm[];
}

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

const text = (value: number | null | undefined) => (value == null ? "" : String(value));

/** The form for an existing rule, or a new one's defaults. */
export function formOf(rule: AlertRule | null): RuleForm {
  const schedule = rule?.schedule;
  return {
    name: rule?.name ?? "",
    description: rule?.description ?? "",
    enabled: rule?.enabled ?? true,
    severity: rule?.severity ?? "medium",
    risk_threshold: text(rule?.risk_threshold),
    min_confidence: text(rule?.min_confidence),
    object_types: rule?.object_types.join(", ") ?? "",
    camera_ids: rule?.camera_ids ?? [],
    zone_ids: rule?.zone_ids ?? [],
    days: (schedule?.days ?? []).map((d) => DAYS.find((day) => day.startsWith(d.toLowerCase().slice(0, 3))) ?? d),
    start_time: schedule?.start_time ?? "",
    end_time: schedule?.end_time ?? "",
    timezone: schedule?.timezone ?? (rule ? "" : browserZone()),
    cooldown_seconds: text(rule?.cooldown_seconds ?? 300),
    dedup_key_template: rule?.dedup_key_template ?? "",
    channels: (rule?.channels ?? []).map((c) => ({
      name: c.name ?? "",
      url: c.url,
      timeout_ms: text(c.timeout_ms),
      headers: c.headers.map((h) => ({ ...h })),
    })),
  };
}

function number(value: string): number | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : undefined;
}

function optionalText(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** The draft the form describes. */
export function draftOf(form: RuleForm): AlertRuleDraft {
  const hasSchedule = form.days.length > 0 || form.start_time !== "" || form.end_time !== "";
  return {
    name: form.name.trim(),
    description: optionalText(form.description),
    enabled: form.enabled,
    severity: form.severity,
    risk_threshold: number(form.risk_threshold),
    object_types: splitList(form.object_types),
    camera_ids: form.camera_ids,
    zone_ids: form.zone_ids,
    min_confidence: number(form.min_confidence),
    schedule: hasSchedule
      ? {
          days: form.days,
          start_time: optionalText(form.start_time),
          end_time: optionalText(form.end_time),
          timezone: optionalText(form.timezone),
        }
      : undefined,
    dedup_key_template: optionalText(form.dedup_key_template),
    cooldown_seconds: number(form.cooldown_seconds),
    channels: form.channels.map((c) => ({
      type: "webhook",
      url: c.url.trim(),
      headers: c.headers.filter((h) => h.name.trim() !== ""),
      timeout_ms: number(c.timeout_ms),
      name: optionalText(c.name),
    })),
  };
}
