// The alert rules: what raises alerts and where they go.

import { listAlertRules, setAlertRuleEnabled } from "../../api/endpoints";
import type { AlertRule } from "../../api/types";
import { useCan } from "../../auth/permissions";
import { cameraName, useCameras } from "../../data/cameras";
import { ErrorNote, Loading, PageHead, RiskBadge, When } from "../../ui/bits";
import { useAction, useLoad } from "../../ui/useLoad";

function describe(rule: AlertRule, names: (id: string) => string): string {
  const parts: string[] = [];
  if (rule.risk_threshold != null) parts.push(`score ≥ ${rule.risk_threshold}`);
  if (rule.object_types.length) parts.push(rule.object_types.join(" or "));
  if (rule.camera_ids.length) parts.push(`on ${rule.camera_ids.map(names).join(", ")}`);
  if (rule.zone_ids.length) parts.push(`in ${rule.zone_ids.length} zone(s)`);
  if (rule.schedule?.start_time) parts.push(`${rule.schedule.start_time}–${rule.schedule.end_time} ${rule.schedule.timezone ?? "UTC"}`);
  return parts.join(", ") || "every event";
}

function RuleRow({ rule, onChanged }: { rule: AlertRule; onChanged: (rule: AlertRule) => void }) {
  const cameras = useCameras();
  const toggle = useAction(setAlertRuleEnabled);
  return (
    <li class="panel rule-row" data-testid="rule-item" data-rule-id={rule.id}>
      <div class="row">
        <RiskBadge level={rule.severity} />
        <a href={`/rules/${encodeURIComponent(rule.id)}`} class="rule-row__name">
          {rule.name}
        </a>
        <label class="check">
          <input
            type="checkbox"
            checked={rule.enabled}
            disabled={toggle.busy}
            onChange={async (e) => {
              const answer = await toggle.run(rule.id, e.currentTarget.checked);
              if (answer) onChanged(answer);
            }}
            data-testid="rule-enabled-toggle"
          />
          Enabled
        </label>
      </div>
      <p class="small">
        {describe(rule, (id) => cameraName(cameras, id))}; {rule.channels.length} channel(s); cooldown {rule.cooldown_seconds} s
      </p>
      <p class="muted small">
        Changed <When iso={rule.updated_at} />
      </p>
      <ErrorNote error={toggle.error} />
    </li>
  );
}

export function RulesPage() {
  const can = useCan();
  const rules = useLoad((signal) => (can("ListAlertRules") ? listAlertRules(signal) : Promise.resolve(null)), []);
  if (!can("ListAlertRules")) {
    return (
      <section>
        <PageHead title="Alert rules" />
        <p>Reading and changing alert rules needs an admin key.</p>
        {can("TestAlertRule") && (
          <p>
            <a class="button" href="/rules/new" data-testid="rule-try">
              Try a rule against recent events
            </a>
          </p>
        )}
      </section>
    );
  }
  return (
    <section>
      <PageHead title="Alert rules">
        {can("CreateAlertRule") && (
          <a class="button button--primary" href="/rules/new" data-testid="rule-new">
            New rule
          </a>
        )}
      </PageHead>
      {rules.loading && <Loading />}
      <ErrorNote error={rules.error} retry={rules.reload} />
      {rules.data?.rules.length === 0 && <p class="muted">No rules yet: events raise no alerts.</p>}
      <ul class="plain-list stack" data-testid="rule-list">
        {rules.data?.rules.map((rule) => (
          <RuleRow
            key={rule.id}
            rule={rule}
            onChanged={(changed) =>
              rules.data && rules.setData({ rules: rules.data.rules.map((r) => (r.id === changed.id ? changed : r)) })
            }
          />
        ))}
      </ul>
    </section>
  );
}
