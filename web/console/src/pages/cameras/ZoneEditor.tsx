// Zones of one camera: the list, and the editor that draws and saves them.

import { useState } from "preact/hooks";
import { createZone, deleteZone, listZones, updateZone } from "../../api/endpoints";
import { ZONE_TYPES, type Zone, type ZonePoint, type ZoneShape } from "../../api/types";
import { humanize } from "../../lib/format";
import { ErrorNote, Loading } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";
import { orderedCorners, outlineProblem, tidy } from "./outline";
import { ZoneCanvas, type Outline } from "./ZoneCanvas";

interface Draft extends Outline {
  /** The zone being changed; null for a new one. */
  id: string | null;
  name: string;
  zone_type: string;
  enabled: boolean;
  priority: number;
}

const NEW_COLOUR = "#3B82F6";

function draftOf(zone: Zone): Draft {
  return { ...zone, color: zone.color.toUpperCase(), closed: true, points: zone.points.map(tidy) };
}

function newDraft(shape: ZoneShape): Draft {
  return { id: null, name: "", zone_type: "other", shape, points: [], closed: false, color: NEW_COLOUR, enabled: true, priority: 0 };
}

export function ZoneEditor({ cameraId, editable }: { cameraId: string; editable: boolean }) {
  const zones = useLoad((signal) => listZones(cameraId, signal), [cameraId]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [viewing, setViewing] = useState<string | null>(null);
  const [point, setPoint] = useState<number | null>(null);
  const [savedNote, setSavedNote] = useState("");
  const save = useAction(async (d: Draft) => {
    const points = (d.shape === "rectangle" ? orderedCorners(d.points[0] as ZonePoint, d.points[1] as ZonePoint) : d.points).map(tidy);
    const fields = { name: d.name.trim(), zone_type: d.zone_type, shape: d.shape, points, color: d.color, enabled: d.enabled, priority: d.priority };
    return d.id ? updateZone(d.id, fields) : createZone({ camera_id: cameraId, ...fields });
  });
  const remove = useAction(deleteZone);

  const list = zones.data?.zones ?? [];
  const selectedId = draft?.id ?? viewing;
  const viewed = !draft && viewing ? list.find((z) => z.id === viewing) ?? null : null;
  const outline: Outline | null = draft ?? (viewed ? { ...viewed, closed: true } : null);
  const problem = draft ? outlineProblem(draft.shape, draft.points) : null;
  const incomplete = draft?.shape === "polygon" && !draft.closed;

  const edit = (next: Draft | null) => {
    setDraft(next);
    setPoint(null);
    setSavedNote("");
    save.clear();
  };
  const change = (patch: Partial<Draft>) => draft && setDraft({ ...draft, ...patch });

  const onSave = async (event: SubmitEvent) => {
    event.preventDefault();
    if (!draft || problem || incomplete) return;
    const zone = await save.run(draft);
    if (!zone) return;
    zones.setData({ zones: [...list.filter((z) => z.id !== zone.id), zone] });
    edit(null);
    setViewing(zone.id);
    setSavedNote(`Saved zone “${zone.name}”.`);
  };
  const onDelete = async (zone: Zone) => {
    if (!window.confirm(`Delete zone “${zone.name}”? Rules that name it stop matching it.`)) return;
    if (await remove.run(zone.id)) {
      zones.setData({ zones: list.filter((z) => z.id !== zone.id) });
      if (draft?.id === zone.id) edit(null);
      setViewing(null);
    }
  };
  const setShape = (shape: ZoneShape) => {
    if (!draft || draft.shape === shape) return;
    if (draft.points.length > 0 && !window.confirm("Start the outline again as a " + shape + "?")) return;
    change({ shape, points: [], closed: false });
    setPoint(null);
  };
  const deletePoint = () => {
    if (!draft || point == null) return;
    change({ points: draft.points.filter((_, i) => i !== point), closed: draft.closed && draft.points.length > 3 });
    setPoint(null);
  };
  const setCoordinate = (index: number, axis: "x" | "y", value: number) => {
    if (!draft || Number.isNaN(value)) return;
    const points = draft.points.slice();
    points[index] = { ...(points[index] as ZonePoint), [axis]: Math.min(1, Math.max(0, value)) };
    change({ points });
  };

  if (zones.loading && !zones.data) return <Loading label="Loading zones…" />;
  return (
    <section class="zones" aria-labelledby="zones-title">
      <h2 id="zones-title">Zones</h2>
      <ErrorNote error={zones.error} retry={zones.reload} />
      <p id="zone-help" class="muted small">
        {draft
          ? draft.shape === "polygon"
            ? "Click the picture to add points; click the first point (or focus it and press Enter) to close. Drag a point to move it; select one and press Delete to remove it. Arrow keys move the focused point."
            : "Drag across the picture to draw the rectangle; drag a corner to change it."
          : "Select a zone to see it on the picture."}
      </p>
      <div class="zones__layout">
        <ZoneCanvas
          cameraId={cameraId}
          zones={list}
          selectedId={selectedId}
          outline={outline}
          editable={editable && draft != null}
          selectedPoint={point}
          onSelectZone={(id) => (draft ? undefined : setViewing(id))}
          onSelectPoint={setPoint}
          onChange={(next) => change(next)}
        />
        <div class="stack">
          {savedNote && (
            <p role="status" class="ok" data-testid="zone-saved">
              {savedNote}
            </p>
          )}
          <ul class="plain-list zone-list" data-testid="zone-list">
            {list.length === 0 && <li class="muted">No zones yet.</li>}
            {list.map((zone) => (
              <li key={zone.id} class={zone.id === selectedId ? "zone-list__item zone-list__item--selected" : "zone-list__item"} data-testid="zone-item">
                <span class="swatch" style={{ background: zone.color }} aria-hidden="true" />
                <span class="zone-list__name">
                  <button type="button" class="link-button" onClick={() => !draft && setViewing(zone.id)} aria-pressed={zone.id === selectedId} disabled={draft != null}>
                    {zone.name}
                  </button>
                  <span class="muted small">
                    {humanize(zone.zone_type)}, {zone.shape}
                    {!zone.enabled && ", off"}
                  </span>
                </span>
                {editable && !draft && (
                  <span class="zone-list__actions">
                    <button type="button" class="button button--small" onClick={() => edit(draftOf(zone))} aria-label={`Edit zone ${zone.name}`} data-testid="zone-edit">
                      Edit
                    </button>
                    <button type="button" class="button button--small button--danger" onClick={() => onDelete(zone)} aria-label={`Delete zone ${zone.name}`} data-testid="zone-delete">
                      Delete
                    </button>
                  </span>
                )}
              </li>
            ))}
          </ul>
          <ErrorNote error={remove.error} />
          {editable && !draft && (
            <button type="button" class="button button--primary" onClick={() => edit(newDraft("polygon"))} data-testid="zone-new">
              New zone
            </button>
          )}
          {editable && draft && (
            <form class="panel stack" onSubmit={onSave} aria-label={draft.id ? `Edit zone ${draft.name}` : "New zone"} data-testid="zone-form">
              <div class="row" role="group" aria-label="Shape">
                {(["polygon", "rectangle"] as ZoneShape[]).map((shape) => (
                  <button key={shape} type="button" class="button button--small" aria-pressed={draft.shape === shape} onClick={() => setShape(shape)} data-testid={`zone-mode-${shape}`}>
                    {humanize(shape)}
                  </button>
                ))}
              </div>
              {draft.shape === "polygon" && (
                <div class="row">
                  <button type="button" class="button button--small" disabled={draft.closed || draft.points.length < 3} onClick={() => change({ closed: true })} data-testid="zone-close">
                    Close polygon
                  </button>
                  <button type="button" class="button button--small" disabled={!draft.closed} onClick={() => change({ closed: false })}>
                    Add more points
                  </button>
                  <button type="button" class="button button--small" disabled={point == null} onClick={deletePoint} data-testid="zone-delete-point">
                    Delete point
                  </button>
                </div>
              )}
              <button type="button" class="button button--small" disabled={draft.points.length === 0} onClick={() => change({ points: [], closed: false })}>
                Clear outline
              </button>
              <label class="field">
                <span>Name</span>
                <input value={draft.name} onInput={(e) => change({ name: e.currentTarget.value })} required maxLength={255} data-testid="zone-name" />
              </label>
              <label class="field">
                <span>Type</span>
                <select value={draft.zone_type} onChange={(e) => change({ zone_type: e.currentTarget.value })} data-testid="zone-type">
                  {ZONE_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {humanize(t)}
                    </option>
                  ))}
                </select>
              </label>
              <div class="row">
                <label class="field field--small">
                  <span>Colour</span>
                  <input type="color" value={draft.color.toLowerCase()} onInput={(e) => change({ color: e.currentTarget.value.toUpperCase() })} />
                </label>
                <label class="field field--small">
                  <span>Priority</span>
                  <input type="number" min={0} max={1000} value={draft.priority} onInput={(e) => change({ priority: Number(e.currentTarget.value) || 0 })} />
                </label>
                <label class="check">
                  <input type="checkbox" checked={draft.enabled} onChange={(e) => change({ enabled: e.currentTarget.checked })} />
                  Enabled
                </label>
              </div>
              {draft.points.length > 0 && (
                <details>
                  <summary>Points ({draft.points.length})</summary>
                  <ol class="points">
                    {draft.points.map((p, i) => (
                      <li key={i} class="row">
                        <label class="field field--small">
                          <span>Point {i + 1} x</span>
                          <input type="number" min={0} max={1} step="any" value={p.x} onChange={(e) => setCoordinate(i, "x", Number(e.currentTarget.value))} />
                        </label>
                        <label class="field field--small">
                          <span>Point {i + 1} y</span>
                          <input type="number" min={0} max={1} step="any" value={p.y} onChange={(e) => setCoordinate(i, "y", Number(e.currentTarget.value))} />
                        </label>
                      </li>
                    ))}
                  </ol>
                </details>
              )}
              {draft.points.length > 0 && (problem || incomplete) && (
                <p class="note" role="status" data-testid="zone-problem">
                  {incomplete && !problem ? "Close the polygon to save it." : problem}
                </p>
              )}
              <div class="row">
                <button type="submit" class="button button--primary" disabled={save.busy || Boolean(problem) || incomplete || !draft.name.trim()} data-testid="zone-save">
                  {save.busy ? "Saving…" : "Save zone"}
                </button>
                <button type="button" class="button" onClick={() => edit(null)} data-testid="zone-cancel">
                  Cancel
                </button>
              </div>
              <ErrorNote error={save.error} />
            </form>
          )}
        </div>
      </div>
    </section>
  );
}
