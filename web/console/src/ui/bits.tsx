// Small pieces every page uses.

import type { ComponentChildren } from "preact";
import { describeError } from "../api/client";
import { formatAgo, formatTime, humanize } from "../lib/format";

/** A failed call, as the gateway explained it. */
export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  if (!error) return null;
  return (
    <div class="note note--error" role="alert">
      <span>{describeError(error)}</span>
      {retry && (
        <button type="button" class="button button--small" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p class="muted" role="status">
      {label}
    </p>
  );
}

/** The risk level as a coloured badge, with the score when there is one. */
export function RiskBadge({ level, score }: { level?: string | null; score?: number | null }) {
  const known = level ?? "unknown";
  return (
    <span class={`badge badge--${known}`} data-testid="risk-badge">
      {humanize(known)}
      {score != null && <span class="badge__score"> {score}</span>}
    </span>
  );
}

/** A status word (online, pending, serving, ...) in a neutral or coloured pill. */
export function StatusPill({ status }: { status: string }) {
  return <span class={`pill pill--${status.replace(/[^a-z_]/g, "")}`}>{humanize(status)}</span>;
}

/** A time shown relatively, with the full time on hover and for machines. */
export function When({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">never</span>;
  return (
    <time dateTime={iso} title={formatTime(iso)}>
      {formatAgo(iso)}
    </time>
  );
}

/** A page's heading block. */
export function PageHead({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1 tabIndex={-1} data-page-title>
        {title}
      </h1>
      {children && <div class="page-head__actions">{children}</div>}
    </div>
  );
}

/** "Load more" for cursor-paged lists. */
export function MoreButton({ hasMore, busy, onMore }: { hasMore: boolean; busy: boolean; onMore: () => void }) {
  if (!hasMore) return null;
  return (
    <button type="button" class="button" onClick={onMore} disabled={busy}>
      {busy ? "Loading…" : "Load more"}
    </button>
  );
}

/**
 * A table that scrolls sideways on a narrow screen: focusable, so a keyboard can scroll
 * it, and named, so that focus says what it is.
 */
export function ScrollBox({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // "…, table": a section headed with the same words is another landmark, and two
    // landmarks with one name cannot be told apart by a screen reader.
    <div class="table-wrap" tabIndex={0} role="region" aria-label={`${label}, table`}>
      {children}
    </div>
  );
}
