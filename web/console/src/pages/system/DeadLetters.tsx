// A work stream's dead letters: inspect one, put some or all back on the stream.

import { useState } from "preact/hooks";
import { getDeadLetter, listDeadLetters, requeueDeadLetters } from "../../api/endpoints";
import type { QueueDeadLetter } from "../../api/types";
import { useCan } from "../../auth/permissions";
import { formatBytes, formatTime } from "../../lib/format";
import { ErrorNote, Loading, MoreButton, ScrollBox } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";

export function DeadLetters({ stream, onRequeued }: { stream: string; onRequeued: () => void }) {
  const can = useCan();
  const [round, setRound] = useState(0);
  const first = useLoad((signal) => listDeadLetters(stream, "", signal), [stream, round]);
  const [extra, setExtra] = useState<{ letters: QueueDeadLetter[]; cursor: string } | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<QueueDeadLetter | null>(null);
  const more = useAction((cursor: string) => listDeadLetters(stream, cursor));
  const inspect = useAction((id: string) => getDeadLetter(stream, id));
  const requeue = useAction((body: { ids?: string[]; all?: boolean }) => requeueDeadLetters(stream, body));
  const [note, setNote] = useState("");

  if (first.loading && !first.data) return <Loading label="Loading dead letters…" />;
  if (first.error) return <ErrorNote error={first.error} retry={first.reload} />;
  const letters = [...(first.data?.dead_letters ?? []), ...(extra?.letters ?? [])];
  const cursor = extra ? extra.cursor : first.data?.has_more ? first.data.next_cursor : "";

  const loadMore = async () => {
    const page = await more.run(cursor);
    if (page) setExtra({ letters: [...(extra?.letters ?? []), ...page.dead_letters], cursor: page.has_more ? page.next_cursor : "" });
  };
  const put = async (body: { ids?: string[]; all?: boolean }, question: string) => {
    if (!window.confirm(question)) return;
    const answer = await requeue.run(body);
    if (!answer) return;
    setNote(`Put ${answer.requeued} message(s) back on ${stream}.`);
    setChosen(new Set());
    setExtra(null);
    setOpen(null);
    setRound((n) => n + 1);
    onRequeued();
  };
  const pick = (id: string, on: boolean) =>
    setChosen((now) => {
      const next = new Set(now);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <div class="stack" data-testid="dead-letters">
      {note && (
        <p role="status" class="ok">
          {note}
        </p>
      )}
      {letters.length === 0 ? (
        <p class="muted">No dead letters on {stream}.</p>
      ) : (
        <ScrollBox label="Dead letters">
          <table class="table">
            <caption class="visually-hidden">Dead letters of {stream}</caption>
            <thead>
              <tr>
                {can("RequeueDeadLetters") && <th scope="col">Pick</th>}
                <th scope="col">Failed</th>
                <th scope="col">Error</th>
                <th scope="col">Deliveries</th>
                <th scope="col">Payload</th>
                <th scope="col">Inspect</th>
              </tr>
            </thead>
            <tbody>
              {letters.map((letter) => (
                <tr key={letter.id}>
                  {can("RequeueDeadLetters") && (
                    <td>
                      <input type="checkbox" aria-label={`Pick dead letter ${letter.id}`} checked={chosen.has(letter.id)} onChange={(e) => pick(letter.id, e.currentTarget.checked)} />
                    </td>
                  )}
                  <td>{formatTime(letter.failed_at)}</td>
                  <td class="break">{letter.error}</td>
                  <td>{letter.deliveries}</td>
                  <td>
                    {letter.message_type}, {formatBytes(letter.payload_bytes)}
                  </td>
                  <td>
                    <button
                      type="button"
                      class="button button--small"
                      onClick={async () => setOpen((await inspect.run(letter.id)) ?? null)}
                      aria-label={`Inspect dead letter ${letter.id}`}
                    >
                      Inspect
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
      <MoreButton hasMore={cursor !== ""} busy={more.busy} onMore={loadMore} />
      <ErrorNote error={more.error || inspect.error || requeue.error} />
      {open && (
        <section class="panel stack" aria-label={`Dead letter ${open.id}`} data-testid="dead-letter-detail">
          <h3>Dead letter {open.id}</h3>
          <p class="small">
            From {open.stream} entry {open.source_id}, given up by {open.consumer} after {open.deliveries} deliveries.
            {!open.decoded && " The payload does not decode."}
          </p>
          <pre class="code">{open.payload_text}</pre>
          <button type="button" class="button button--small" onClick={() => setOpen(null)}>
            Close
          </button>
        </section>
      )}
      {can("RequeueDeadLetters") && letters.length > 0 && (
        <div class="row">
          <button type="button" class="button" disabled={chosen.size === 0 || requeue.busy} onClick={() => put({ ids: [...chosen] }, `Put ${chosen.size} message(s) back on ${stream}?`)} data-testid="requeue-selected">
            Requeue picked ({chosen.size})
          </button>
          <button type="button" class="button" disabled={requeue.busy} onClick={() => put({ all: true }, `Put every dead letter back on ${stream}?`)} data-testid="requeue-all">
            Requeue all
          </button>
        </div>
      )}
    </div>
  );
}
