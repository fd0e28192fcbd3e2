// Settings: the signed-in key, API keys (admin), prompts, notifications, audit (admin).

import { useCan, type Operation } from "../../auth/permissions";
import { session } from "../../auth/session";
import { formatTime } from "../../lib/format";
import { useStore } from "../../lib/store";
import { PageHead } from "../../ui/bits";
import { ApiKeys } from "./ApiKeys";
import { Audit } from "./Audit";
import { Notifications } from "./Notifications";
import { Prompts } from "./Prompts";

const TABS: { id: string; label: string; needs?: Operation }[] = [
  { id: "account", label: "This key" },
  { id: "keys", label: "API keys", needs: "ListApiKeys" },
  { id: "prompts", label: "Prompts" },
  { id: "notifications", label: "Notifications" },
  { id: "audit", label: "Audit", needs: "ListAuditLogs" },
];

function Account() {
  const current = useStore(session);
  const who = current?.who;
  if (!who) return null;
  return (
    <section class="panel">
      <dl class="facts" data-testid="account">
        <dt>Name</dt>
        <dd>{who.name}</dd>
        <dt>Scope</dt>
        <dd data-testid="account-scope">{who.scope}</dd>
        <dt>Key id</dt>
        <dd>
          <code>{who.key_id}</code>
        </dd>
        <dt>Created</dt>
        <dd>
          {formatTime(who.created_at)} {who.created_by && `by ${who.created_by}`}
        </dd>
      </dl>
      <p class="muted small">
        {who.scope === "read"
          ? "This key can look at everything but change nothing."
          : who.scope === "operator"
            ? "This key can review events, give feedback and handle alerts; configuration needs an admin key."
            : "This key can change everything, API keys included."}
      </p>
    </section>
  );
}

export function SettingsPage({ tab }: { tab: string }) {
  const can = useCan();
  const tabs = TABS.filter((t) => !t.needs || can(t.needs));
  const current = tabs.find((t) => t.id === tab) ?? tabs[0];
  return (
    <section>
      <PageHead title="Settings" />
      <nav class="tabs" aria-label="Settings">
        {tabs.map((t) => (
          <a
            key={t.id}
            href={t.id === "account" ? "/settings" : `/settings/${t.id}`}
            class="tabs__tab"
            aria-current={t.id === current?.id ? "page" : undefined}
            data-testid={`settings-tab-${t.id}`}
          >
            {t.label}
          </a>
        ))}
      </nav>
      {current?.id === "account" && <Account />}
      {current?.id === "keys" && <ApiKeys />}
      {current?.id === "prompts" && <Prompts />}
      {current?.id === "notifications" && <Notifications />}
      {current?.id === "audit" && <Audit />}
    </section>
  );
}
