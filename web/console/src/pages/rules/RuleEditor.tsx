// Creating and editing an alert rule, and testing it (saved or not) against recent events.
// An operator may test but not save (the gateway lets only admins read and write rules).

import { useEffect, useState } from "preact/hooks";
import { createAlertRule, deleteAlertRule, getAlertRule, listZones, updateAlertRule } from "../../api/endpoints";
import { RISK_LEVELS, type AlertRule } from "../../api/types";
import { useCan } from "../../auth/permissions";
import { cameraName, useCameras } from "../../data/cameras";
import { humanize } from "../../lib/format";
import { navigate } from "../../lib/router";
import { ErrorNote, Loading, PageHead } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";
import { ChannelsField } from "./ChannelsField";
import { DAYS, draftOf, formOf, type RuleForm } from "./ruleForm";
import { RuleTest } from "./RuleTest";

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.("timeZone") ?? [];
  } catch {
    return [];
  }
}

export function RuleEditor({ id }: { id: string | null }) {
  const can = useCan();
  const canSave = can(id ? "UpdateAlertRule" : "CreateAlertRule");
  const cameras = useCameras();
  const rule = useLoad((signal) => (id ? getAlertRule(id, signal) : Promise.resolve(null)), [id]);
  const zones = useLoad((signal) => listZones("", signal), []);
  const [form, setForm] = useState<RuleForm>(formOf(null));
  const [saved, setSaved] = useState(false);
  const save = useAction((f: RuleForm) => (id ? updateAlertRule(id, draftOf(f)) : createAlertRule(draftOf(f))));
  const remove = useAction(deleteAlertRule);

  useEffect(() => setForm(formOf(rule.data as AlertRule | null)), [rule.data]);

  const set = (patch: Partial<RuleForm>) => {
    setForm((now) => ({ ...now, ...patch }));
    setSaved(false);
  };
  const toggle = (list: string[], value: string, on: boolean) => (on ? [...list, value] : list.filter((v) => v !== value));

  if (!can("TestAlertRule") || (id && !rule.data)) {
    // The same heading element as when loaded, so the focus put on it stays.
    return (
      <section class="stack">
        <PageHead title="Alert rule" />
        {rule.loading ? <Loading /> : <ErrorNote error={rule.error} retry={rule.reload} />}
      </section>
    );
  }

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const answer = await save.run(form);
    if (!answer) return;
    setSaved(true);
    if (!id) navigate(`/rules/${encodeURIComponent(answer.id)}`, { replace: true });
    else rule.setData(answer);
  };
  const onDelete = async () => {
    if (!id || !window.confirm(`Delete rule “${form.name}”?`)) return;
    if (await remove.run(id)) navigate("/rules");
  };

  const zoneList = zones.data?.zones ?? [];
  const zones_ = timeZones();
  return (
    <section class="stack">
      <PageHead title={id ? `Rule: ${rule.data?.name ?? ""}` : canSave ? "New alert rule" : "Try an alert rule"}>
        <a class="button" href="/rules">
          All rules
        </a>
      </PageHead>
      {!canSave && <p class="note">Your key may test rules but not save them (saving needs an admin key).</p>}
      <form class="stack rule-form" onSubmit={submit} data-testid="rule-form">
        <div class="panel stack">
          <label class="field">
            <span>Name</span>
            <input value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} required maxLength={255} data-testid="rule-name" />
          </label>
          <label class="field">
            <span>Description</span>
            <textarea rows={2} value={form.description} onInput={(e) => set({ description: e.currentTarget.value })} maxLength={2000} />
          </label>
          <div class="row">
            <label class="field">
              <span>Severity of its alerts</span>
              <select value={form.severity} onChange={(e) => set({ severity: e.currentTarget.value })} data-testid="rule-severity">
                {RISK_LEVELS.map((l) => (
                  <option key={l} value={l}>
                    {humanize(l)}
                  </option>
                ))}
              </select>
            </label>
            <label class="check">
              <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} data-testid="rule-enabled" />
              Enabled
            </label>
          </div>
        </div>
        <fieldset class="panel stack">
          <legend>When it fires</legend>
          <div class="row">
            <label class="field field--small">
              <span>Risk score at least (0–100)</span>
              <input type="number" min={0} max={100} value={form.risk_threshold} onInput={(e) => set({ risk_threshold: e.currentTarget.value })} data-testid="rule-threshold" />
            </label>
            <label class="field field--small">
              <span>Confidence at least (0–1)</span>
              <input type="number" min={0} max={1} step="any" value={form.min_confidence} onInput={(e) => set({ min_confidence: e.currentTarget.value })} data-testid="rule-min-confidence" />
            </label>
          </div>
          <label class="field">
            <span>Object classes (comma separated; empty: any)</span>
            <input value={form.object_types} placeholder="person, car" onInput={(e) => set({ object_types: e.currentTarget.value })} data-testid="rule-classes" />
          </label>
          <fieldset>
            <legend>Cameras (none ticked: every camera)</legend>
            <div class="checks checks--scroll">
              {cameras?.map((c) => (
                <label key={c.id} class="check">
                  <input type="checkbox" checked={form.camera_ids.includes(c.id)} onChange={(e) => set({ camera_ids: toggle(form.camera_ids, c.id, e.currentTarget.checked) })} data-testid={`rule-camera-${c.id}`} />
                  {c.name}
                </label>
              ))}
            </div>
          </fieldset>
          <fieldset>
            <legend>Zones (none ticked: anywhere)</legend>
            <div class="checks checks--scroll">
              {zoneList.length === 0 && <span class="muted small">No zones drawn yet.</span>}
              {zoneList.map((z) => (
                <label key={z.id} class="check">
                  <input type="checkbox" checked={form.zone_ids.includes(z.id)} onChange={(e) => set({ zone_ids: toggle(form.zone_ids, z.id, e.currentTarget.checked) })} />
                  {z.name} <span class="muted small">({cameraName(cameras, z.camera_id)})</span>
                </label>
              ))}
            </div>
          </fieldset>
        </fieldset>
        <fieldset class="panel stack">
          <legend>Schedule (nothing set: always)</legend>
          <div class="checks">
            {DAYS.map((day) => (
              <label key={day} class="check">
                <input type="checkbox" checked={form.days.includes(day)} onChange={(e) => set({ days: toggle(form.days, day, e.currentTarget.checked) })} />
                {humanize(day)}
              </label>
            ))}
          </div>
          <div class="row">
            <label class="field field--small">
              <span>From</span>
              <input type="time" value={form.start_time} onInput={(e) => set({ start_time: e.currentTarget.value })} data-testid="rule-start" />
            </label>
            <label class="field field--small">
              <span>Until</span>
              <input type="time" value={form.end_time} onInput={(e) => set({ end_time: e.currentTarget.value })} data-testid="rule-end" />
            </label>
            <label class="field">
              <span>Time zone</span>
              <input value={form.timezone} list="time-zones" onInput={(e) => set({ timezone: e.currentTarget.value })} placeholder="Europe/London" data-testid="rule-timezone" />
              <datalist id="time-zones">
                {zones_.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
            </label>
          </div>
          <p class="muted small">A window whose start is after its end runs overnight.</p>
        </fieldset>
        <fieldset class="panel stack">
          <legend>Repeats</legend>
          <div class="row">
            <label class="field field--small">
              <span>Cooldown, seconds</span>
              <input type="number" min={0} value={form.cooldown_seconds} onInput={(e) => set({ cooldown_seconds: e.currentTarget.value })} data-testid="rule-cooldown" />
            </label>
            <label class="field field--grow">
              <span>Dedup key</span>
              <input value={form.dedup_key_template} placeholder="{camera_id}:{rule_id}" onInput={(e) => set({ dedup_key_template: e.currentTarget.value })} />
            </label>
          </div>
        </fieldset>
        <div class="panel">
          <ChannelsField channels={form.channels} onChange={(channels) => set({ channels })} />
        </div>
        {canSave && (
          <div class="row">
            <button type="submit" class="button button--primary" disabled={save.busy} data-testid="rule-save">
              {save.busy ? "Saving…" : id ? "Save rule" : "Create rule"}
            </button>
            {id && can("DeleteAlertRule") && (
              <button type="button" class="button button--danger" onClick={onDelete} disabled={remove.busy} data-testid="rule-delete">
                Delete rule
              </button>
            )}
            {saved && (
              <span role="status" class="ok" data-testid="rule-saved">
                Saved
              </span>
            )}
          </div>
        )}
        <ErrorNote error={save.error || remove.error} />
      </form>
      <RuleTest draft={() => draftOf(form)} />
    </section>
  );
}
