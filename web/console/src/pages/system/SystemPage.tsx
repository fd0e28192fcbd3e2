// How the system is doing: services, queues and their dead letters, refused files,
// latency and GPU figures, judgement feedback, and the version running.

import { useEffect, useState } from "preact/hooks";
import { getFeedbackStats, getQueueStats, getSystemHealth, getVersion } from "../../api/endpoints";
import { formatDuration, formatMs, formatTime, humanize } from "../../lib/format";
import { ErrorNote, Loading, PageHead, StatusPill, ScrollBox } from "../../ui/bits";
import { useLoad } from "../../ui/useLoad";
import { DeadLetters } from "./DeadLetters";
import { Performance } from "./Performance";
import { RefusedFiles } from "./RefusedFiles";

const REFRESH_MS = 30_000;
/** The streams with a consumer group, hence dead letters. */
const WORK_STREAMS = ["files", "detections", "batches"];

export function SystemPage() {
  const [round, setRound] = useState(0);
  const health = useLoad((signal) => getSystemHealth(signal), [round]);
  const queues = useLoad((signal) => getQueueStats(signal), [round]);
  const version = useLoad((signal) => getVersion(signal), []);
  const feedback = useLoad((signal) => getFeedbackStats(signal), [round]);
  const [stream, setStream] = useState<string | null>(null);

  // Refresh while the page is looked at.
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") setRound((n) => n + 1);
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, []);

  return (
    <section class="stack">
      <PageHead title="System">
        <button type="button" class="button" onClick={() => setRound((n) => n + 1)} data-testid="system-refresh">
          Refresh
        </button>
      </PageHead>

      <section class="panel" aria-labelledby="health-title" data-testid="system-health">
        <h2 id="health-title">
          Health {health.data && <StatusPill status={health.data.status} />}
        </h2>
        {health.loading && !health.data && <Loading />}
        <ErrorNote error={health.error} retry={health.reload} />
        {health.data && (
          <ul class="plain-list health">
            {health.data.components.map((c) => (
              <li key={c.name}>
                <StatusPill status={c.status} /> <strong>{c.name}</strong>{" "}
                <span class="muted small">
                  {c.detail}
                  {c.latency_ms != null && ` (${formatMs(c.latency_ms)})`}
                </span>
              </li>
            ))}
          </ul>
        )}
        {version.data && (
          <p class="small muted" data-testid="system-version">
            Version {version.data.version} ({version.data.git_commit.slice(0, 12)}), schema {version.data.schema_migration ?? "unknown"}, up{" "}
            {formatDuration(version.data.uptime_seconds)} since {formatTime(version.data.started_at)}.
          </p>
        )}
      </section>

      <section class="panel" aria-labelledby="queues-title">
        <h2 id="queues-title">Queues</h2>
        <ErrorNote error={queues.error} retry={queues.reload} />
        {queues.data && (
          <ScrollBox label="Queues">
            <table class="table" data-testid="queues">
              <thead>
                <tr>
                  <th scope="col">Stream</th>
                  <th scope="col">Waiting</th>
                  <th scope="col">Pending</th>
                  <th scope="col">Consumers</th>
                  <th scope="col">Idle</th>
                  <th scope="col">Dead letters</th>
                </tr>
              </thead>
              <tbody>
                {queues.data.streams.map((q) => (
                  <tr key={q.stream}>
                    <th scope="row">{q.stream}</th>
                    <td>{q.length}</td>
                    <td>{q.pending}</td>
                    <td>
                      {q.busy_consumers}/{q.consumers}
                    </td>
                    <td>{q.idle_ms == null ? "–" : formatMs(q.idle_ms)}</td>
                    <td>
                      {WORK_STREAMS.includes(q.stream) ? (
                        <button
                          type="button"
                          class="button button--small"
                          aria-expanded={stream === q.stream}
                          onClick={() => setStream(stream === q.stream ? null : q.stream)}
                          data-testid={`dead-letters-${q.stream}`}
                        >
                          {q.dead_letters} {stream === q.stream ? "(hide)" : "(show)"}
                        </button>
                      ) : (
                        "–"
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
        )}
        {stream && <DeadLetters stream={stream} onRequeued={queues.reload} />}
      </section>

      <section class="panel" aria-labelledby="perf-title">
        <h2 id="perf-title">Latency and GPU</h2>
        <Performance round={round} />
      </section>

      <section class="panel" aria-labelledby="refused-title">
        <h2 id="refused-title">Refused files</h2>
        <RefusedFiles />
      </section>

      <section class="panel" aria-labelledby="feedback-stats-title">
        <h2 id="feedback-stats-title">Judgement feedback</h2>
        <ErrorNote error={feedback.error} retry={feedback.reload} />
        {feedback.data && (
          <ScrollBox label="Judgement feedback by camera">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Camera</th>
                  <th scope="col">Correct</th>
                  <th scope="col">False positive</th>
                  <th scope="col">Missed threat</th>
                  <th scope="col">Severity wrong</th>
                  <th scope="col">False-positive rate</th>
                </tr>
              </thead>
              <tbody>
                {[...feedback.data.cameras, ...(feedback.data.overall ? [{ ...feedback.data.overall, camera_name: "All cameras" }] : [])].map((row) => (
                  <tr key={row.camera_id || "overall"}>
                    <th scope="row">{row.camera_name || humanize(row.camera_id)}</th>
                    <td>{row.correct}</td>
                    <td>{row.false_positive}</td>
                    <td>{row.missed_threat}</td>
                    <td>{row.severity_wrong}</td>
                    <td>{(row.false_positive_rate * 100).toFixed(0)} %</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
        )}
      </section>
    </section>
  );
}
