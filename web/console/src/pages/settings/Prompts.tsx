// The judge's prompt per model: the active version, editing it (a new version), the
// history, the differences between two versions, and rolling back.

import { useEffect, useState } from "preact/hooks";
import { diffPromptVersions, getActivePrompt, listPromptVersions, rollbackPrompt, updatePrompt } from "../../api/endpoints";
import { PROMPT_MODELS, type PromptDiff } from "../../api/types";
import { useCan } from "../../auth/permissions";
import { formatTime } from "../../lib/format";
import { ErrorNote, Loading } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";

function DiffView({ diff }: { diff: PromptDiff }) {
  return (
    <section class="panel stack" aria-label={`Differences from version ${diff.from_version} to ${diff.to_version}`} data-testid="prompt-diff">
      <h3>
        Version {diff.from_version} → {diff.to_version}
      </h3>
      {diff.changes.length > 0 && (
        <ul class="plain-list small">
          {diff.changes.map((c) => (
            <li key={c.field}>
              {c.field}: {c.from ?? "–"} → {c.to ?? "–"}
            </li>
          ))}
        </ul>
      )}
      {diff.system_prompt_diff ? (
        <pre class="code diff">
          {diff.system_prompt_diff.split("\n").map((line, i) => (
            <span key={i} class={line.startsWith("+") ? "diff__add" : line.startsWith("-") ? "diff__del" : undefined}>
              {line}
              {"\n"}
            </span>
          ))}
        </pre>
      ) : (
        <p class="muted">The system prompts are the same.</p>
      )}
    </section>
  );
}

export function Prompts() {
  const can = useCan();
  const [model, setModel] = useState(PROMPT_MODELS[0] as string);
  const active = useLoad((signal) => getActivePrompt(model, signal), [model]);
  const versions = useLoad((signal) => listPromptVersions(model, "", signal), [model, active.data?.version]);
  const save = useAction(updatePrompt);
  const rollback = useAction(rollbackPrompt);
  const diff = useAction(diffPromptVersions);
  const [shown, setShown] = useState<PromptDiff | null>(null);
  const [from, setFrom] = useState<number | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => setShown(null), [model]);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const answer = await save.run(model, {
      system_prompt: String(data.get("system_prompt") ?? ""),
      temperature: Number(data.get("temperature")),
      max_tokens: Number(data.get("max_tokens")),
      change_description: String(data.get("change_description") ?? "").trim() || undefined,
    });
    if (answer) {
      active.setData(answer);
      setSaved(true);
    }
  };
  const onRollback = async (version: number) => {
    if (!window.confirm(`Make version ${version} the active prompt again (as a new version)?`)) return;
    const answer = await rollback.run(model, version, `rollback to version ${version}`);
    if (answer) active.setData(answer);
  };
  const compare = async (to: number) => {
    if (from == null) return;
    const answer = await diff.run(model, from, to);
    if (answer) setShown(answer);
  };

  const config = active.data;
  return (
    <div class="stack">
      <label class="field field--inline">
        <span>Model</span>
        <select value={model} onChange={(e) => setModel(e.currentTarget.value)} data-testid="prompt-model">
          {PROMPT_MODELS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      {active.loading && !config && <Loading />}
      <ErrorNote error={active.error} retry={active.reload} />
      {config && (
        <form class="panel stack" onSubmit={submit} key={`${model}-${config.version}`} aria-labelledby="prompt-title" data-testid="prompt-form" onInput={() => setSaved(false)}>
          <h2 id="prompt-title">
            Active: version {config.version}
            <span class="muted small">
              {" "}
              {formatTime(config.updated_at)} {config.created_by && `by ${config.created_by}`}
            </span>
          </h2>
          <fieldset class="stack" disabled={!can("UpdatePrompt")}>
            <label class="field">
              <span>System prompt</span>
              <textarea name="system_prompt" rows={12} class="mono" defaultValue={config.system_prompt} data-testid="prompt-text" />
            </label>
            <div class="row">
              <label class="field field--small">
                <span>Temperature (0–2)</span>
                <input name="temperature" type="number" min={0} max={2} step="any" defaultValue={String(config.temperature)} />
              </label>
              <label class="field field--small">
                <span>Max tokens</span>
                <input name="max_tokens" type="number" min={100} max={8192} defaultValue={String(config.max_tokens)} />
              </label>
              {can("UpdatePrompt") && (
                <label class="field field--grow">
                  <span>What changed</span>
                  <input name="change_description" maxLength={500} />
                </label>
              )}
            </div>
          </fieldset>
          {can("UpdatePrompt") && (
            <div class="row">
              <button type="submit" class="button button--primary" disabled={save.busy} data-testid="prompt-save">
                Save as a new version
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
      )}
      <section class="panel stack" aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <p class="muted small">Pick a version to compare from, then press “Compare” on another.</p>
        <ErrorNote error={versions.error || rollback.error || diff.error} />
        <ul class="plain-list stack" data-testid="prompt-versions">
          {versions.data?.versions.map((v) => (
            <li key={v.version} class="row version">
              <label class="check">
                <input type="radio" name="from-version" checked={from === v.version} onChange={() => setFrom(v.version)} />
                Version {v.version}
                {v.is_active && " (active)"}
              </label>
              <span class="muted small">
                {formatTime(v.created_at)} {v.created_by && `by ${v.created_by}`} {v.change_description && `: ${v.change_description}`}
              </span>
              <button type="button" class="button button--small" disabled={from == null || from === v.version} onClick={() => compare(v.version)} aria-label={`Compare with version ${v.version}`}>
                Compare
              </button>
              {can("RollbackPrompt") && !v.is_active && (
                <button type="button" class="button button--small" disabled={rollback.busy} onClick={() => onRollback(v.version)} aria-label={`Roll back to version ${v.version}`}>
                  Roll back
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      {shown && <DiffView diff={shown} />}
    </div>
  );
}
