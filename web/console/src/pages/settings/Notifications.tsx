// Notification preferences, per-camera settings and quiet hours. Read keys see them;
// only admin keys change them.

import { useState } from "preact/hooks";
import {
  createQuietHours,
  deleteCameraNotificationSetting,
  deleteQuietHours,
  getNotificationPreferences,
  listCameraNotificationSettings,
  listQuietHours,
  updateCameraNotificationSetting,
  updateNotificationPreferences,
  updateQuietHours,
} from "../../api/endpoints";
import { RISK_LEVELS, SOUNDS, type QuietHoursPeriod } from "../../api/types";
import { useCan } from "../../auth/permissions";
import { useCameras } from "../../data/cameras";
import { humanize } from "../../lib/format";
import { ErrorNote, Loading, ScrollBox } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";
import { DAYS } from "../rules/ruleForm";

function Preferences() {
  const can = useCan();
  const prefs = useLoad((signal) => getNotificationPreferences(signal), []);
  const save = useAction(updateNotificationPreferences);
  const [saved, setSaved] = useState(false);
  if (prefs.loading && !prefs.data) return <Loading />;
  if (!prefs.data) return <ErrorNote error={prefs.error} retry={prefs.reload} />;
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const filters = data.getAll("risk_filters").map(String);
    const answer = await save.run({
      enabled: data.get("enabled") === "on",
      sound: String(data.get("sound")),
      // Empty keeps the current filters (the API's rule): untick all by turning off instead.
      risk_filters: filters.length ? filters : undefined,
    });
    if (answer) {
      prefs.setData(answer);
      setSaved(true);
    }
  };
  const p = prefs.data;
  return (
    <form class="panel stack" onSubmit={submit} key={JSON.stringify(p)} aria-labelledby="prefs-title" onInput={() => setSaved(false)}>
      <h2 id="prefs-title">Preferences</h2>
      <fieldset class="stack" disabled={!can("UpdateNotificationPreferences")}>
        <label class="check">
          <input type="checkbox" name="enabled" defaultChecked={p.enabled} />
          Notifications on
        </label>
        <label class="field field--inline">
          <span>Sound</span>
          <select name="sound" defaultValue={p.sound}>
            {SOUNDS.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Levels that notify</legend>
          <div class="checks">
            {RISK_LEVELS.map((level) => (
              <label key={level} class="check">
                <input type="checkbox" name="risk_filters" value={level} defaultChecked={p.risk_filters.includes(level)} />
                {humanize(level)}
              </label>
            ))}
          </div>
        </fieldset>
      </fieldset>
      {can("UpdateNotificationPreferences") && (
        <div class="row">
          <button type="submit" class="button button--primary" disabled={save.busy}>
            Save preferences
          </button>
          {saved && (
            <span role="status" class="ok">
              Saved
            </span>
          )}
        </div>
      )}
      <ErrorNote error={save.error} />
    </form>
  );
}

function CameraSettings() {
  const can = useCan();
  const cameras = useCameras();
  const settings = useLoad((signal) => listCameraNotificationSettings(signal), []);
  const act = useAction(async (change: () => Promise<unknown>) => change());
  const run = async (change: () => Promise<unknown>) => {
    if ((await act.run(change)) !== undefined) settings.reload();
  };
  const editable = can("UpdateCameraNotificationSetting");
  return (
    <section class="panel stack" aria-labelledby="camera-notify-title">
      <h2 id="camera-notify-title">Per camera</h2>
      <p class="muted small">A camera without its own setting notifies as the preferences say.</p>
      <ErrorNote error={settings.error || act.error} />
      <ScrollBox label="Per-camera notification settings">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Camera</th>
              <th scope="col">Notifies</th>
              <th scope="col">From score</th>
              {editable && <th scope="col">Change</th>}
            </tr>
          </thead>
          <tbody>
            {cameras?.map((camera) => {
              const setting = settings.data?.settings.find((s) => s.camera_id === camera.id);
              return (
                <tr key={camera.id}>
                  <th scope="row">{camera.name}</th>
                  <td>{setting ? (setting.enabled ? "Yes" : "No") : <span class="muted">default</span>}</td>
                  <td>{setting?.risk_threshold ?? "–"}</td>
                  {editable && (
                    <td>
                      <form
                        class="row"
                        onSubmit={(e) => {
                          e.preventDefault();
                          const data = new FormData(e.currentTarget as HTMLFormElement);
                          void run(() =>
                            updateCameraNotificationSetting(camera.id, {
                              enabled: data.get("enabled") === "on",
                              risk_threshold: Number(data.get("risk_threshold")) || 0,
                            }),
                          );
                        }}
                      >
                        <label class="check">
                          <input type="checkbox" name="enabled" defaultChecked={setting?.enabled ?? true} />
                          On
                        </label>
                        <label class="field field--small">
                          <span>Score</span>
                          <input type="number" name="risk_threshold" min={0} max={100} defaultValue={String(setting?.risk_threshold ?? 0)} />
                        </label>
                        <button type="submit" class="button button--small" disabled={act.busy} aria-label={`Save ${camera.name}`}>
                          Save
                        </button>
                        {setting && (
                          <button type="button" class="button button--small" disabled={act.busy} onClick={() => run(() => deleteCameraNotificationSetting(camera.id))} aria-label={`Reset ${camera.name} to the default`}>
                            Reset
                          </button>
                        )}
                      </form>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollBox>
    </section>
  );
}

function PeriodForm({ period, onDone }: { period: QuietHoursPeriod | null; onDone: () => void }) {
  const save = useAction(async (data: FormData) => {
    const body = {
      label: String(data.get("label") ?? "").trim(),
      start_time: String(data.get("start_time")),
      end_time: String(data.get("end_time")),
      days: data.getAll("days").map(String),
    };
    return period ? updateQuietHours(period.id, body) : createQuietHours(body);
  });
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    if (await save.run(new FormData(form))) {
      form.reset();
      onDone();
    }
  };
  return (
    <form class="stack" onSubmit={submit} aria-label={period ? `Change ${period.label}` : "New quiet hours"}>
      <div class="row">
        <label class="field">
          <span>Label</span>
          <input name="label" required defaultValue={period?.label ?? ""} placeholder="Night" />
        </label>
        <label class="field field--small">
          <span>From</span>
          <input name="start_time" type="time" required defaultValue={period?.start_time.slice(0, 5) ?? ""} />
        </label>
        <label class="field field--small">
          <span>Until</span>
          <input name="end_time" type="time" required defaultValue={period?.end_time.slice(0, 5) ?? ""} />
        </label>
      </div>
      <fieldset>
        <legend>Days (none: every day)</legend>
        <div class="checks">
          {DAYS.map((day) => (
            <label key={day} class="check">
              <input type="checkbox" name="days" value={day} defaultChecked={period?.days.includes(day)} />
              {humanize(day)}
            </label>
          ))}
        </div>
      </fieldset>
      <p class="muted small">A period cannot cross midnight: make 22:00–06:00 two periods, 22:00–23:59 and 00:00–06:00.</p>
      <div class="row">
        <button type="submit" class="button button--primary" disabled={save.busy}>
          {period ? "Save period" : "Add period"}
        </button>
      </div>
      <ErrorNote error={save.error} />
    </form>
  );
}

function QuietHours() {
  const can = useCan();
  const periods = useLoad((signal) => listQuietHours(signal), []);
  const remove = useAction(deleteQuietHours);
  const [editing, setEditing] = useState<string | null>(null);
  const editable = can("CreateQuietHours");
  return (
    <section class="panel stack" aria-labelledby="quiet-title">
      <h2 id="quiet-title">Quiet hours</h2>
      <ErrorNote error={periods.error || remove.error} />
      {periods.data?.periods.length === 0 && <p class="muted">None.</p>}
      <ul class="plain-list stack">
        {periods.data?.periods.map((p) => (
          <li key={p.id} class="stack">
            <div class="row">
              <strong>{p.label}</strong> {p.start_time}–{p.end_time}, {p.days.length ? p.days.map(humanize).join(", ") : "every day"}
              {editable && (
                <>
                  <button type="button" class="button button--small" aria-expanded={editing === p.id} onClick={() => setEditing(editing === p.id ? null : p.id)}>
                    Change
                  </button>
                  <button
                    type="button"
                    class="button button--small button--danger"
                    onClick={async () => (await remove.run(p.id)) && periods.reload()}
                    aria-label={`Delete quiet hours ${p.label}`}
                  >
                    Delete
                  </button>
                </>
              )}
            </div>
            {editing === p.id && (
              <PeriodForm
                period={p}
                onDone={() => {
                  setEditing(null);
                  periods.reload();
                }}
              />
            )}
          </li>
        ))}
      </ul>
      {editable && (
        <details>
          <summary>Add quiet hours</summary>
          <PeriodForm period={null} onDone={periods.reload} />
        </details>
      )}
    </section>
  );
}

export function Notifications() {
  return (
    <div class="stack">
      <Preferences />
      <CameraSettings />
      <QuietHours />
    </div>
  );
}
