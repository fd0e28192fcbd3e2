import { Store, useStore } from "./store";

/** Where the console is: the path and the query string (the view's shareable state). */
export interface Place {
  path: string;
  query: URLSearchParams;
}

function current(): Place {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

export const place = new Store<Place>(current());

/** Whether the user moved inside the app, so "back" stays in it. */
let movedInApp = false;

/** Back to the page before, or to `fallback` when the user arrived here directly. */
export function goBack(fallback: string): void {
  if (movedInApp) window.history.back();
  else navigate(fallback);
}

/** Goes to `to` (a path with an optional query) without reloading. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const target = new URL(to, window.location.origin);
  if (target.pathname + target.search === window.location.pathname + window.location.search) return;
  if (options.replace) {
    window.history.replaceState(null, "", target.pathname + target.search);
  } else {
    window.history.pushState(null, "", target.pathname + target.search);
    movedInApp = true;
    // A new page starts at its top; going back is restored by the page that kept it.
    window.scrollTo(0, 0);
  }
  place.set(current());
}

/** Follows same-origin links inside the app instead of letting the browser reload. */
export function startRouter(): () => void {
  window.history.scrollRestoration = "manual";
  const onPop = () => place.set(current());
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.("a");
    if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
    const href = anchor.getAttribute("href");
    if (!href || !href.startsWith("/") || href.startsWith("//")) return;
    // The API and the WebSocket are the gateway's, not pages of the app.
    if (href.startsWith("/api/") || href.startsWith("/ws/")) return;
    event.preventDefault();
    navigate(href);
  };
  window.addEventListener("popstate", onPop);
  document.addEventListener("click", onClick);
  return () => {
    window.removeEventListener("popstate", onPop);
    document.removeEventListener("click", onClick);
  };
}

export function usePlace(): Place {
  return useStore(place);
}

/**
 * Matches `path` against `pattern` ("/events/:id"), answering the named segments
 * (decoded) or null.
 */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const h = have[i] as string;
    if (w.startsWith(":")) {
      try {
        params[w.slice(1)] = decodeURIComponent(h);
      } catch {
        return null;
      }
    } else if (w !== h) {
      return null;
    }
  }
  return params;
}
