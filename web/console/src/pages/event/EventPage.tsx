// One event: its pictures with boxes, detections, judgement and alerts; and for an
// operator, review, feedback, re-analysis, delete and restore.

import { useState } from "preact/hooks";
import { deleteEvent, getEvent, reanalyzeEvent, restoreEvent } from "../../api/endpoints";
import type { Event, EventJudgement } from "../../api/types";
import { useCan } from "../../auth/permissions";
import { formatMs, formatTime, humanize } from "../../lib/format";
import { goBack } from "../../lib/router";
import { ErrorNote, Loading, PageHead, RiskBadge, StatusPill } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";
import { forgetDetail } from "../timeline/details";
import { patchKept } from "../timeline/feed";
import { FeedbackForm } from "./FeedbackForm";
import { Judgement } from "./Judgement";
import { Pictures } from "./Pictures";
import { ReviewForm } from "./ReviewForm";

export function EventPage({ id }: { id: number }) {
  const can = useCan();
  const detail = useLoad((signal) => getEvent(id, signal), [id]);
  const [judgement, setJudgement] = useState<EventJudgement | null>(null);
  const reanalyse = useAction(reanalyzeEvent);
  const remove = useAction(deleteEvent);
  const restore = useAction(restoreEvent);

  const event = detail.data?.event;
  const changed = (next: Event) => {
    forgetDetail(next.id);
    patchKept(next);
    if (detail.data) detail.setData({ ...detail.data, event: next });
  };

  const back = (
    <button type="button" class="button" onClick={() => goBack("/")} data-testid="event-back">
      Back
    </button>
  );
  // One heading element for every state, so the focus put on it survives the load.
  const title = event ? `${event.camera_name || event.camera_id}: event ${id}` : `Event ${id}`;
  const head = <PageHead title={title}>{back}</PageHead>;
  if (!detail.data || !event) {
    return (
      <article class="event-page" data-testid="event-page-loading">
        {head}
        {detail.loading ? <Loading /> : <ErrorNote error={detail.error ?? "This event does not exist."} retry={detail.reload} />}
      </article>
    );
  }

  const onReanalyse = async () => {
    const answer = await reanalyse.run(id);
    if (answer) {
      setJudgement(answer);
      forgetDetail(id);
      detail.reload();
    }
  };
  const onDelete = async () => {
    if (!window.confirm(`Delete event ${id}? It is hidden from lists until restored.`)) return;
    const answer = await remove.run(id);
    if (answer) changed(answer);
  };
  const onRestore = async () => {
    const answer = await restore.run(id);
    if (answer) changed(answer);
  };

  return (
    <article class="event-page" data-testid="event-page" data-event-id={id}>
      {head}
      <p class="event-page__meta">
        <RiskBadge level={event.risk_level} score={event.risk_score} /> {formatTime(event.started_at)}
        {event.ended_at && ` – ${formatTime(event.ended_at)}`}
        {event.is_fast_path && <span class="mark">Fast path</span>}
        {detail.data.audit?.is_fallback && <span class="mark mark--warn">Fallback</span>}
        {event.reviewed && <span class="mark mark--ok" data-testid="event-reviewed">Reviewed</span>}
        {event.deleted_at && (
          <span class="mark mark--warn" data-testid="event-deleted">
            Deleted {formatTime(event.deleted_at)}
          </span>
        )}
      </p>
      {event.summary && <p class="lead">{event.summary}</p>}
      <div class="event-page__grid">
        <div class="stack">
          <Pictures detections={detail.data.detections} camera={event.camera_name || event.camera_id} />
          <Judgement detail={detail.data} />
          {judgement && (
            <section class="panel" role="status" data-testid="reanalysis">
              <h2>New judgement</h2>
              <p>
                <RiskBadge level={judgement.risk_level} score={judgement.risk_score} /> by {judgement.model}, prompt
                version {judgement.prompt_version}, in {formatMs(judgement.latency_ms)}
                {judgement.is_fallback && ` (fallback: ${judgement.fallback_reason ?? "no reason"})`}.
              </p>
              <p>{judgement.summary}</p>
            </section>
          )}
          <section class="panel" aria-labelledby="alerts-title">
            <h2 id="alerts-title">Alerts</h2>
            {detail.data.alerts.length === 0 ? (
              <p class="muted">This event raised no alert.</p>
            ) : (
              <ul class="plain-list">
                {detail.data.alerts.map((alert) => (
                  <li key={alert.id}>
                    <RiskBadge level={alert.severity} /> <StatusPill status={alert.status} /> {formatTime(alert.created_at)}
                    {" · "}
                    <a href={`/alerts?event_id=${id}`}>Deliveries and actions</a>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
        <div class="stack">
          {can("ReviewEvent") && <ReviewForm key={event.id} event={event} onSaved={changed} />}
          {can("SubmitEventFeedback") && <FeedbackForm eventId={id} />}
          {!can("ReviewEvent") && event.notes && (
            <section class="panel">
              <h2>Notes</h2>
              <p class="prewrap">{event.notes}</p>
            </section>
          )}
          {can("ReanalyzeEvent") && (
            <section class="panel stack" aria-labelledby="actions-title">
              <h2 id="actions-title">Actions</h2>
              <div class="row">
                <button type="button" class="button" onClick={onReanalyse} disabled={reanalyse.busy} data-testid="event-reanalyse">
                  {reanalyse.busy ? "Re-analysing…" : "Re-analyse"}
                </button>
                {event.deleted_at ? (
                  <button type="button" class="button" onClick={onRestore} disabled={restore.busy} data-testid="event-restore">
                    Restore
                  </button>
                ) : (
                  <button type="button" class="button button--danger" onClick={onDelete} disabled={remove.busy} data-testid="event-delete">
                    Delete
                  </button>
                )}
              </div>
              <ErrorNote error={reanalyse.error || remove.error || restore.error} />
            </section>
          )}
          <p class="muted small">
            Batch {event.batch_id} · objects: {event.object_types.map(humanize).join(", ") || "none"}
          </p>
        </div>
      </div>
    </article>
  );
}
