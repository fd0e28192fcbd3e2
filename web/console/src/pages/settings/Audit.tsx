// The audit trail: who changed what, and whether the hash chain is intact.

import { useState } from "preact/hooks";
import { listAuditLogs, verifyAuditChain } from "../../api/endpoints";
import type { AuditLog } from "../../api/types";
import { formatTime } from "../../lib/format";
import { ErrorNote, MoreButton, StatusPill, ScrollBox } from "../../ui/bits";
import { useAction } from "../../ui/useLoad";

export function Audit() {
  const [entries, setEntries] = useState<AuditLog[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [filter, setFilter] = useState<{ action?: string; actor?: string; status?: string }>({});
  const load = useAction(listAuditLogs);
  const verify = useAction(verifyAuditChain);
  const [report, setReport] = useState<string>("");

  const fetchPage = async (from: string, base: AuditLog[], query = filter) => {
    const page = await load.run({ ...query, cursor: from || undefined });
    if (!page) return;
    setEntries([...base, ...page.entries]);
    setCursor(page.has_more ? page.next_cursor : "");
  };
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const value = (name: string) => String(data.get(name) ?? "").trim() || undefined;
    const query = { action: value("action"), actor: value("actor"), status: value("status") };
    setFilter(query);
    void fetchPage("", [], query);
  };
  const check = async () => {
    const answer = await verify.run();
    if (answer) {
      setReport(
        answer.intact
          ? `Intact: ${answer.rows_checked} rows checked.`
          : `Broken at row ${answer.first_broken_seq ?? "?"}: ${answer.reason ?? "no reason given"} (${answer.rows_checked} rows checked).`,
      );
    }
  };

  return (
    <div class="stack">
      <section class="panel stack" aria-labelledby="chain-title">
        <h2 id="chain-title">Hash chain</h2>
        <div class="row">
          <button type="button" class="button" onClick={check} disabled={verify.busy}>
            {verify.busy ? "Checking…" : "Verify the chain"}
          </button>
          {report && <span role="status">{report}</span>}
        </div>
        <ErrorNote error={verify.error} />
      </section>
      <section class="panel stack" aria-labelledby="audit-title">
        <h2 id="audit-title">Entries</h2>
        <form class="row" onSubmit={submit}>
          <label class="field">
            <span>Action</span>
            <input name="action" placeholder="event.review" />
          </label>
          <label class="field">
            <span>Actor</span>
            <input name="actor" />
          </label>
          <label class="field">
            <span>Status</span>
            <select name="status">
              <option value="">Any</option>
              <option value="success">Success</option>
              <option value="failure">Failure</option>
            </select>
          </label>
          <button type="submit" class="button button--primary" disabled={load.busy}>
            Show
          </button>
        </form>
        <ErrorNote error={load.error} />
        {entries.length > 0 && (
          <ScrollBox label="Audit entries">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.seq}>
                    <td>{e.seq}</td>
                    <td>{formatTime(e.timestamp)}</td>
                    <td>
                      {e.actor}
                      {e.ip_address && <div class="muted small">{e.ip_address}</div>}
                    </td>
                    <td>
                      {e.action} {e.resource_type}
                      {e.resource_id && ` ${e.resource_id}`}
                    </td>
                    <td>
                      <StatusPill status={e.status} />
                    </td>
                    <td class="break small mono">{e.details ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollBox>
        )}
        {cursor === "" && entries.length === 0 && <p class="muted">No entries.</p>}
        <MoreButton hasMore={Boolean(cursor)} busy={load.busy} onMore={() => fetchPage(cursor ?? "", entries)} />
      </section>
    </div>
  );
}
