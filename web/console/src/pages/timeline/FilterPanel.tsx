// The timeline's filters: a plain form read on submit, so typing does not reload the
// list on every key; applying puts the filters in the URL.

import { useId } from "preact/hooks";
import { RISK_LEVELS } from "../../api/types";
import { useCameras } from "../../data/cameras";
import { fromLocalInput, humanize, splitList, toLocalInput } from "../../lib/format";
import type { TimelineView } from "./view";

interface Props {
  view: TimelineView;
  onApply: (view: TimelineView) => void;
}

function optionalBool(value: FormDataEntryValue | null): boolean | undefined {
  return value === "true" ? true : value === "false" ? false : undefined;
}

function optionalScore(value: FormDataEntryValue | null): number | undefined {
  const text = String(value ?? "").trim();
  return text === "" ? undefined : Math.min(100, Math.max(0, Math.round(Number(text))));
}

export function FilterPanel({ view, onApply }: Props) {
  const cameras = useCameras();
  const id = useId();
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    onApply({
      q: view.q,
      camera_ids: form.getAll("camera_ids").map(String),
      risk_levels: form.getAll("risk_levels").map(String),
      object_types: splitList(String(form.get("object_types") ?? "")).map((t) => t.toLowerCase()),
      min_score: optionalScore(form.get("min_score")),
      max_score: optionalScore(form.get("max_score")),
      start_time: fromLocalInput(String(form.get("start_time") ?? "")) || undefined,
      end_time: fromLocalInput(String(form.get("end_time") ?? "")) || undefined,
      reviewed: optionalBool(form.get("reviewed")),
      is_fast_path: optionalBool(form.get("is_fast_path")),
    });
  };
  const clear = () => onApply({ q: view.q });
  const flag = (value: boolean | undefined) => (value == null ? "" : String(value));

  return (
    <form class="filters" onSubmit={submit} aria-label="Filters" data-testid="filters">
      <fieldset class="filters__group">
        <legend>Cameras</legend>
        <div class="checks checks--scroll">
          {cameras?.map((camera) => (
            <label key={camera.id} class="check">
              <input
                type="checkbox"
                name="camera_ids"
                value={camera.id}
                defaultChecked={view.camera_ids?.includes(camera.id)}
                data-testid={`filter-camera-${camera.id}`}
              />
              {camera.name}
            </label>
          ))}
          {cameras?.length === 0 && <span class="muted">No cameras yet</span>}
        </div>
      </fieldset>
      <fieldset class="filters__group">
        <legend>Risk level</legend>
        <div class="checks">
          {RISK_LEVELS.map((level) => (
            <label key={level} class="check">
              <input
                type="checkbox"
                name="risk_levels"
                value={level}
                defaultChecked={view.risk_levels?.includes(level)}
                data-testid={`filter-level-${level}`}
              />
              {humanize(level)}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset class="filters__group">
        <legend>Risk score</legend>
        <div class="row">
          <label class="field field--small">
            <span>From</span>
            <input type="number" name="min_score" min={0} max={100} defaultValue={view.min_score?.toString() ?? ""} data-testid="filter-min-score" />
          </label>
          <label class="field field--small">
            <span>To</span>
            <input type="number" name="max_score" min={0} max={100} defaultValue={view.max_score?.toString() ?? ""} data-testid="filter-max-score" />
          </label>
        </div>
      </fieldset>
      <fieldset class="filters__group">
        <legend>Time</legend>
        <div class="row">
          <label class="field">
            <span>From</span>
            <input type="datetime-local" name="start_time" defaultValue={toLocalInput(view.start_time)} data-testid="filter-start" />
          </label>
          <label class="field">
            <span>Until</span>
            <input type="datetime-local" name="end_time" defaultValue={toLocalInput(view.end_time)} data-testid="filter-end" />
          </label>
        </div>
      </fieldset>
      <div class="filters__group row">
        <label class="field">
          <span>Reviewed</span>
          <select name="reviewed" defaultValue={flag(view.reviewed)} data-testid="filter-reviewed">
            <option value="">Any</option>
            <option value="false">Not reviewed</option>
            <option value="true">Reviewed</option>
          </select>
        </label>
        <label class="field">
          <span>Fast path</span>
          <select name="is_fast_path" defaultValue={flag(view.is_fast_path)} data-testid="filter-fast-path">
            <option value="">Any</option>
            <option value="true">Fast path only</option>
            <option value="false">Batched only</option>
          </select>
        </label>
        <label class="field">
          <span>Object types</span>
          <input
            name="object_types"
            list={`${id}-types`}
            placeholder="person, car"
            defaultValue={view.object_types?.join(", ") ?? ""}
            data-testid="filter-object-types"
          />
          <datalist id={`${id}-types`}>
            {["person", "car", "truck", "bicycle", "motorcycle", "dog", "cat", "package"].map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
      </div>
      <div class="filters__actions">
        <button type="submit" class="button button--primary" data-testid="filter-apply">
          Apply filters
        </button>
        <button type="button" class="button" onClick={clear} data-testid="filter-clear">
          Clear filters
        </button>
      </div>
    </form>
  );
}
