// The shell: the sign-in gate, the navigation and the page for the current path.

import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { live, type LiveState } from "./api/live";
import { useCan } from "./auth/permissions";
import { session, signOut } from "./auth/session";
import { match, usePlace } from "./lib/router";
import { useStore } from "./lib/store";
import { nextTheme, theme } from "./lib/theme";
import { AlertsPage } from "./pages/alerts/AlertsPage";
import { CameraPage } from "./pages/cameras/CameraPage";
import { CamerasPage } from "./pages/cameras/CamerasPage";
import { EventPage } from "./pages/event/EventPage";
import { RuleEditor } from "./pages/rules/RuleEditor";
import { RulesPage } from "./pages/rules/RulesPage";
import { SettingsPage } from "./pages/settings/SettingsPage";
import { SignIn } from "./pages/SignIn";
import { SystemPage } from "./pages/system/SystemPage";
import { Timeline } from "./pages/timeline/Timeline";
import { PageHead } from "./ui/bits";

interface Route {
  pattern: string;
  title: string;
  render: (params: Record<string, string>) => ComponentChildren;
}

const ROUTES: Route[] = [
  { pattern: "/", title: "Timeline", render: () => <Timeline /> },
  { pattern: "/events/:id", title: "Event", render: (p) => <EventPage id={Number(p.id)} /> },
  { pattern: "/alerts", title: "Alerts", render: () => <AlertsPage /> },
  { pattern: "/cameras", title: "Cameras", render: () => <CamerasPage /> },
  { pattern: "/cameras/:id", title: "Camera", render: (p) => <CameraPage id={p.id as string} /> },
  { pattern: "/rules", title: "Alert rules", render: () => <RulesPage /> },
  { pattern: "/rules/new", title: "New rule", render: () => <RuleEditor id={null} /> },
  { pattern: "/rules/:id", title: "Alert rule", render: (p) => <RuleEditor id={p.id as string} /> },
  { pattern: "/system", title: "System", render: () => <SystemPage /> },
  { pattern: "/settings", title: "Settings", render: () => <SettingsPage tab="account" /> },
  { pattern: "/settings/:tab", title: "Settings", render: (p) => <SettingsPage tab={p.tab as string} /> },
];

const NAV = [
  { href: "/", label: "Timeline" },
  { href: "/alerts", label: "Alerts" },
  { href: "/cameras", label: "Cameras" },
  { href: "/rules", label: "Rules" },
  { href: "/system", label: "System" },
  { href: "/settings", label: "Settings" },
];

const LIVE_LABEL: Record<LiveState, string> = {
  off: "Live updates off",
  connecting: "Connecting…",
  live: "Live",
  retrying: "Reconnecting…",
};

function isActive(href: string, path: string): boolean {
  return href === "/" ? path === "/" || path.startsWith("/events/") : path === href || path.startsWith(`${href}/`);
}

function Shell({ children }: { children: ComponentChildren }) {
  const { path } = usePlace();
  const current = useStore(session);
  const liveState = useStore(live.state);
  const unseen = useStore(live.unseen);
  const choice = useStore(theme);
  const can = useCan();
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          HSI
        </a>
        <nav class="nav" aria-label="Main">
          {NAV.filter((item) => item.href !== "/rules" || can("TestAlertRule")).map((item) => (
            <a
              key={item.href}
              href={item.href}
              class="nav__link"
              aria-current={isActive(item.href, path) ? "page" : undefined}
              data-testid={`nav-${item.label.toLowerCase()}`}
            >
              {item.label}
              {item.href === "/" && unseen > 0 && (
                <span class="nav__badge" data-testid="nav-live-badge">
                  {unseen}
                  <span class="visually-hidden"> new</span>
                </span>
              )}
            </a>
          ))}
        </nav>
        <div class="top__tools">
          <span class={`live-dot live-dot--${liveState}`} role="status" data-testid="live-state">
            <span class="visually-hidden">{LIVE_LABEL[liveState]}</span>
            <span aria-hidden="true" title={LIVE_LABEL[liveState]} />
          </span>
          <button
            type="button"
            class="button button--small"
            onClick={() => theme.set(nextTheme(choice))}
            data-testid="theme-toggle"
          >
            Theme: {choice}
          </button>
          <span class="who muted" data-testid="who">
            {current?.who.name} ({current?.who.scope})
          </span>
          <button
            type="button"
            class="button button--small"
            onClick={() => signOut()}
            data-testid="sign-out"
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

export function App() {
  const current = useStore(session);
  const { path } = usePlace();
  const firstRender = useRef(true);

  let page: ComponentChildren = (
    <PageHead title="Not found">
      <a href="/">Back to the timeline</a>
    </PageHead>
  );
  let title = "Not found";
  for (const route of ROUTES) {
    const params = match(route.pattern, path);
    if (params) {
      page = route.render(params);
      title = route.title;
      break;
    }
  }

  // A new page: say so to screen readers by moving focus to its heading.
  useEffect(() => {
    document.title = `${title} · HSI`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    requestAnimationFrame(() =>
      document.querySelector<HTMLElement>("[data-page-title]")?.focus({ preventScroll: true }),
    );
  }, [path, current != null]);

  if (!current) return <SignIn />;
  return <Shell key={current.who.key_id}>{page}</Shell>;
}
