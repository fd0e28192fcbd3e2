// The alert inbox: newest first, filtered by status and severity (kept in the URL),
// with acknowledge and dismiss, and each alert's delivery attempts.

import { useEffect, useState } from "preact/hooks";
import { acknowledgeAlert, dismissAlert, listAlertDeliveries, listAlerts } from "../../api/endpoints";
import { live } from "../../api/live";
import { RISK_LEVELS, type Alert, type ListAlertsRequest } from "../../api/types";
import { useCan } from "../../auth/permissions";
import { cameraName, useCameras } from "../../data/cameras";
import { formatTime, humanize } from "../../lib/format";
import { navigate, usePlace } from "../../lib/router";
import { ErrorNote, Loading, MoreButton, PageHead, RiskBadge, StatusPill, When, ScrollBox } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";

const STATUSES = ["pending", "delivered", "acknowledged", "dismissed"];

const attempts = (n: number) => `${n} attempt${n === 1 ? "" : "s"}`;

function Deliveries({ alertId }: { alertId: string }) {
  const answer = useLoad(() => listAlertDeliveries(alertId), [alertId]);
  if (answer.loading) return <Loading label="Loading deliveries…" />;
  if (answer.error) return <ErrorNote error={answer.error} retry={answer.reload} />;
  const deliveries = answer.data?.deliveries ?? [];
  const outbox = answer.data?.outbox;
  return (
    <div class="stack" data-testid="alert-deliveries">
      {outbox && (
        <p class="small">
          Outbox: <StatusPill status={outbox.state} />, {attempts(outbox.attempts)}
          {outbox.next_attempt_at && `, next ${formatTime(outbox.next_attempt_at)}`}
          {outbox.last_error && <span class="error-text">, last error: {outbox.last_error}</span>}
        </p>
      )}
      {deliveries.length === 0 ? (
        <p class="muted small">No delivery attempts yet.</p>
      ) : (
        <ScrollBox label="Delivery attempts">
          <table class="table">
            <caption class="visually-hidden">Delivery attempts</caption>
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">Channel</th>
                <th scope="col">Outcome</th>
                <th scope="col">HTTP</th>
                <th scope="col">Error</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <td>{d.attempt}</td>
                  <td>
                    {d.channel_type} <span class="muted break">{d.target}</span>
                  </td>
                  <td>
                    <StatusPill status={d.outcome} />
                  </td>
                  <td>{d.http_status ?? "–"}</td>
                  <td class="break">{d.error ?? "–"}</td>
                  <td>{formatTime(d.finished_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollBox>
      )}
    </div>
  );
}

function AlertRow({ alert, onChanged }: { alert: Alert; onChanged: (alert: Alert) => void }) {
  const can = useCan();
  const cameras = useCameras();
  const [open, setOpen] = useState(false);
  const act = useAction((change: (alert: Alert) => Promise<Alert>) => change(alert));
  const run = async (change: (alert: Alert) => Promise<Alert>) => {
    const answer = await act.run(change);
    if (answer) onChanged(answer);
  };
  const openable = alert.status === "pending" || alert.status === "delivered";
  return (
    <li class="panel alert" data-testid="alert-item" data-alert-id={alert.id}>
      <div class="alert__head">
        <RiskBadge level={alert.severity} />
        <StatusPill status={alert.status} />
        <strong>{alert.rule_name ?? "Alert"}</strong>
        <span class="muted">
          {cameraName(cameras, alert.camera_id)} · <When iso={alert.created_at} />
        </span>
      </div>
      <p>
        {alert.summary ?? "No summary"}
        {alert.risk_score != null && <span class="muted"> (score {alert.risk_score})</span>}
      </p>
      <p class="small">
        Delivery: {alert.delivery ? humanize(alert.delivery.state) : "–"}
        {alert.delivery?.attempts ? `, ${attempts(alert.delivery.attempts)}` : ""}
        {alert.delivery?.last_error && <span class="error-text"> — {alert.delivery.last_error}</span>}
        {alert.channels.length > 0 && ` · to ${alert.channels.map((c) => c.target).join(", ")}`}
      </p>
      <div class="row">
        <a href={`/events/${alert.event_id}`} class="button button--small">
          Open event {alert.event_id}
        </a>
        <button
          type="button"
          class="button button--small"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
          data-testid="alert-deliveries-toggle"
        >
          {open ? "Hide deliveries" : "Deliveries"}
        </button>
        {can("AcknowledgeAlert") && openable && (
          <button type="button" class="button button--small button--primary" disabled={act.busy} onClick={() => run(acknowledgeAlert)} data-testid="alert-acknowledge">
            Acknowledge
          </button>
        )}
        {can("DismissAlert") && alert.status !== "dismissed" && (
          <button type="button" class="button button--small" disabled={act.busy} onClick={() => run(dismissAlert)} data-testid="alert-dismiss">
            Dismiss
          </button>
        )}
      </div>
      <ErrorNote error={act.error} />
      {open && <Deliveries alertId={alert.id} />}
    </li>
  );
}

export function AlertsPage() {
  const { query } = usePlace();
  const filter: ListAlertsRequest = {
    status: query.get("status") || undefined,
    severity: query.get("severity") || undefined,
    event_id: Number(query.get("event_id")) || undefined,
  };
  const key = JSON.stringify(filter);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [cursor, setCursor] = useState("");
  const [arrived, setArrived] = useState(0);
  const first = useLoad((signal) => listAlerts({ ...filter, limit: 50 }, signal), [key]);
  const more = useAction((from: string) => listAlerts({ ...filter, limit: 50, cursor: from }));

  useEffect(() => {
    if (!first.data) return;
    setAlerts(first.data.alerts);
    setCursor(first.data.has_more ? first.data.next_cursor : "");
    setArrived(0);
  }, [first.data]);

  // New alerts come with live events; offer to show them rather than shuffle the list.
  useEffect(() => live.listen((message) => message.alerts.length && setArrived((n) => n + message.alerts.length)), []);

  const loadMore = async () => {
    const page = await more.run(cursor);
    if (!page) return;
    setAlerts((now) => [...now, ...page.alerts.filter((a) => !now.some((b) => b.id === a.id))]);
    setCursor(page.has_more ? page.next_cursor : "");
  };
  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(name, value);
    else next.delete(name);
    const text = next.toString();
    navigate(text ? `/alerts?${text}` : "/alerts", { replace: true });
  };

  return (
    <section>
      <PageHead title="Alerts" />
      <div class="toolbar">
        <label class="field field--inline">
          <span>Status</span>
          <select value={filter.status ?? ""} onChange={(e) => setFilter("status", e.currentTarget.value)} data-testid="alerts-status">
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </label>
        <label class="field field--inline">
          <span>Severity</span>
          <select value={filter.severity ?? ""} onChange={(e) => setFilter("severity", e.currentTarget.value)} data-testid="alerts-severity">
            <option value="">Any</option>
            {RISK_LEVELS.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </label>
        {filter.event_id && (
          <button type="button" class="button" onClick={() => setFilter("event_id", "")}>
            Show every event's alerts
          </button>
        )}
        {arrived > 0 && (
          <button type="button" class="button button--primary" onClick={first.reload} data-testid="alerts-new">
            {arrived} new: show
          </button>
        )}
      </div>
      {first.loading && alerts.length === 0 && <Loading />}
      <ErrorNote error={first.error} retry={first.reload} />
      {!first.loading && !first.error && alerts.length === 0 && <p class="muted">No alerts.</p>}
      <ul class="plain-list stack" data-testid="alerts-list">
        {alerts.map((alert) => (
          <AlertRow
            key={alert.id}
            alert={alert}
            onChanged={(changed) => setAlerts((now) => now.map((a) => (a.id === changed.id ? changed : a)))}
          />
        ))}
      </ul>
      <MoreButton hasMore={cursor !== ""} busy={more.busy} onMore={loadMore} />
      <ErrorNote error={more.error} />
    </section>
  );
}
