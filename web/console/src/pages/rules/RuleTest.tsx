// "Test against the last N events": what the rule would have done, and why not.

import { useState } from "preact/hooks";
import { testAlertRule } from "../../api/endpoints";
import type { AlertRuleDraft, TestAlertRuleResponse } from "../../api/types";
import { cameraName, useCameras } from "../../data/cameras";
import { formatPercent, formatTime, humanize } from "../../lib/format";
import { ErrorNote, ScrollBox } from "../../ui/bits";
import { useAction } from "../../ui/useLoad";

export function RuleTest({ draft }: { draft: () => AlertRuleDraft }) {
  const cameras = useCameras();
  const [limit, setLimit] = useState(50);
  const [result, setResult] = useState<TestAlertRuleResponse | null>(null);
  const test = useAction(testAlertRule);
  const [onlyFiring, setOnlyFiring] = useState(false);

  const run = async () => {
    const answer = await test.run(draft(), limit);
    if (answer) setResult(answer);
  };
  const rows = result?.results.filter((r) => !onlyFiring || r.would_fire) ?? [];

  return (
    <section class="panel stack" aria-labelledby="rule-test-title" data-testid="rule-test">
      <h2 id="rule-test-title">Test the rule</h2>
      <p class="muted small">Replays the rule as written above (saved or not) over the latest events, as the alert engine would.</p>
      <div class="row">
        <label class="field field--small">
          <span>Last N events</span>
          <input
            type="number"
            min={1}
            max={500}
            value={limit}
            onInput={(e) => setLimit(Math.min(500, Math.max(1, Number(e.currentTarget.value) || 50)))}
            data-testid="rule-test-limit"
          />
        </label>
        <button type="button" class="button button--primary" onClick={run} disabled={test.busy} data-testid="rule-test-run">
          {test.busy ? "Testing…" : "Test"}
        </button>
      </div>
      <ErrorNote error={test.error} />
      {result && (
        <>
          <p role="status" data-testid="rule-test-summary">
            Would have fired for {result.would_fire} of {result.events_tested} events.
          </p>
          <label class="check">
            <input type="checkbox" checked={onlyFiring} onChange={(e) => setOnlyFiring(e.currentTarget.checked)} />
            Only those that would fire
          </label>
          <ScrollBox label="Test results">
            <table class="table" data-testid="rule-test-results">
              <caption class="visually-hidden">Test results, newest event first</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Camera</th>
                  <th scope="col">Score</th>
                  <th scope="col">Fires</th>
                  <th scope="col">Why, or why not</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.event_id} data-testid="rule-test-row" data-fires={r.would_fire}>
                    <td>
                      <a href={`/events/${r.event_id}`}>{r.event_id}</a>
                      <div class="muted small">{formatTime(r.started_at)}</div>
                    </td>
                    <td>{cameraName(cameras, r.camera_id)}</td>
                    <td>{r.risk_score}</td>
                    <td>{r.would_fire ? <span class="ok">Yes</span> : "No"}</td>
                    <td>
                      {r.would_fire ? (
                        <>
                          {r.matched_object_type ?? "match"} {formatPercent(r.matched_confidence)}
                          {r.matched_zone_id && ` in zone ${r.matched_zone_id}`}
                        </>
                      ) : (
                        <ul class="plain-list">
                          {r.failures.map((f, i) => (
                            <li key={i}>
                              <strong>{humanize(f.condition)}</strong>: {f.message}
                              {f.condition === "cooldown" && r.suppressed_by_event_id != null && (
                                <>
                                  {" "}
                                  (after <a href={`/events/${r.suppressed_by_event_id}`}>event {r.suppressed_by_event_id}</a>)
                                </>
                              )}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
        </>
      )}
    </section>
  );
}
