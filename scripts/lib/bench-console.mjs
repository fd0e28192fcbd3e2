// The browser half of scripts/bench-console: the console's timeline in Debian's headless
// Chromium, driven by web/console's playwright-core (which downloads no browser). For
// each viewport: sign in, scroll until every event is loaded, then measure the DOM, the
// JS heap, and frames and long tasks while scrolling the whole timeline twice. The
// script passes:
//   HSI_BENCH_CONSOLE_BASE       the gateway's address (it serves the console at /)
//   HSI_BENCH_CONSOLE_KEY        a read key
//   HSI_BENCH_CONSOLE_OUT        where the raw numbers go (JSON)
//   HSI_BENCH_CONSOLE_VIEWPORTS  desktop,phone
//   HSI_BENCH_CONSOLE_EXPECTED   how many events the timeline should list
//   HSI_BENCH_CONSOLE_WHEEL_PX   how far the wheel scroll goes: pixels, or "all"
//   CHROMIUM                     the browser (default /usr/bin/chromium)
// Prints a line per step; any failure ends it with a non-zero status and the reason.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

// This file is outside web/console, so a bare import would not find its node_modules.
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../web/console/package.json"));
const { chromium } = require("playwright-core");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE = env("HSI_BENCH_CONSOLE_BASE");
const KEY = env("HSI_BENCH_CONSOLE_KEY");
const OUT = env("HSI_BENCH_CONSOLE_OUT");
const EXPECTED = Number(env("HSI_BENCH_CONSOLE_EXPECTED"));
const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};
const wanted = env("HSI_BENCH_CONSOLE_VIEWPORTS").split(",");
const WHEEL_LIMIT = env("HSI_BENCH_CONSOLE_WHEEL_PX") === "all" ? Infinity : Number(env("HSI_BENCH_CONSOLE_WHEEL_PX"));
const STEP_PX = 300;
const WHEEL_PX = 100;
const LONG_FRAME_MS = 50;
/** How long one page of events may take to arrive before the run gives up. */
const PAGE_TIMEOUT_MS = 30_000;

const log = (line) => console.log(`  ${line}`);

/** p50, p95, p99, max and the long frames of frame intervals (nearest rank). */
function frameStats(gaps) {
  const sorted = [...gaps].sort((a, b) => a - b);
  const rank = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
  return {
    count: sorted.length,
    p50: rank(0.5),
    p95: rank(0.95),
    p99: rank(0.99),
    max: sorted.at(-1) ?? 0,
    long: sorted.filter((gap) => gap > LONG_FRAME_MS).length,
  };
}

/** Which API call a URL is, for counting what the console asks while it loads and scrolls. */
function requestKind(url) {
  const { pathname } = new URL(url);
  if (/^\/api\/v1\/events(\/search)?$/.test(pathname)) return "pages";
  if (/^\/api\/v1\/events\/\d+$/.test(pathname)) return "details";
  if (/^\/api\/v1\/detections\/\d+\/(image|thumbnail)$/.test(pathname)) return "pictures";
  return pathname.startsWith("/api/") ? "other" : null;
}

/** Counts the console's requests by phase and answers by status, and times list pages. */
function watchRequests(page) {
  const phases = {};
  const statuses = {};
  const pageMs = [];
  const watch = { phase: "sign-in", phases, statuses, pageMs };
  page.on("request", (request) => {
    const kind = requestKind(request.url());
    if (!kind) return;
    phases[watch.phase] ??= { pages: 0, details: 0, pictures: 0, other: 0 };
    phases[watch.phase][kind]++;
  });
  page.on("response", (response) => {
    const kind = requestKind(response.url());
    if (kind) statuses[`${kind} ${response.status()}`] = (statuses[`${kind} ${response.status()}`] ?? 0) + 1;
  });
  page.on("requestfinished", (request) => {
    if (requestKind(request.url()) === "pages") pageMs.push(request.timing().responseEnd);
  });
  return watch;
}

async function signIn(page) {
  await page.goto(`${BASE}/`);
  await page.getByLabel("API key").fill(KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("sign-out").waitFor();
  await page.getByTestId("event-card").first().waitFor();
}

/**
 * Scrolls to the bottom, waits for the next page, and again, until the count has no "+".
 * The waiting happens in the page (once a frame), so no round trip is timed.
 */
async function loadAll(page) {
  return page.evaluate(
    async ({ pageTimeoutMs }) => {
      const countText = () => document.querySelector('[data-testid="timeline-count"]')?.textContent ?? "";
      const failure = () => document.querySelector(".timeline [role=alert]")?.textContent;
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      const started = performance.now();
      let scrolls = 0;
      while (countText().includes("+")) {
        const before = countText();
        window.scrollTo(0, document.documentElement.scrollHeight);
        scrolls++;
        const asked = performance.now();
        while (countText() === before) {
          const error = failure();
          if (error) throw new Error(`the timeline showed an error after ${before}: ${error}`);
          if (performance.now() - asked > pageTimeoutMs) {
            throw new Error(`no next page within ${pageTimeoutMs / 1000} s after "${before}"`);
          }
          await frame();
        }
      }
      return { seconds: (performance.now() - started) / 1000, scrolls, count: countText() };
    },
    { pageTimeoutMs: PAGE_TIMEOUT_MS },
  );
}

async function domCounts(page) {
  return page.evaluate(() => {
    const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    let nodes = 1; // the document itself
    while (walker.nextNode()) nodes++;
    return {
      cards: document.querySelectorAll('[data-testid="event-card"]').length,
      nodes,
      elements: document.getElementsByTagName("*").length,
    };
  });
}

/** Runs `scroll` with a long-task observer on; answers its result and the long tasks' durations. */
async function withLongTasks(page, scroll) {
  await page.evaluate(() => {
    window.__benchLongTasks = [];
    window.__benchObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__benchLongTasks.push(entry.duration);
    });
    window.__benchObserver.observe({ type: "longtask" });
  });
  const result = await scroll();
  const longTasks = await page.evaluate(async () => {
    // Entries arrive after their task ends; give the last ones time to be delivered.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const observer = window.__benchObserver;
    for (const entry of observer.takeRecords()) window.__benchLongTasks.push(entry.duration);
    observer.disconnect();
    return window.__benchLongTasks;
  });
  return { ...result, longTasks };
}

/** Bottom to top, STEP_PX per frame: each interval is one frame holding one scroll step. */
async function steppedScroll(page) {
  const { gaps, distance } = await page.evaluate(async (step) => {
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    let y = document.documentElement.scrollHeight - window.innerHeight;
    const distance = y;
    window.scrollTo(0, y);
    let last = await frame();
    const gaps = [];
    while (y > 0) {
      y = Math.max(0, y - step);
      window.scrollTo(0, y);
      const now = await frame();
      gaps.push(now - last);
      last = now;
    }
    return { gaps, distance };
  }, STEP_PX);
  return { gaps, distance };
}

/**
 * Down from the top with the mouse wheel, WHEEL_PX a notch, as fast as the browser takes
 * them, for WHEEL_LIMIT pixels or to the bottom; a requestAnimationFrame loop in the page
 * records every frame meanwhile.
 */
async function wheelScroll(page, viewport) {
  const bottom = await page.evaluate(() => {
    window.scrollTo(0, 0);
    return document.documentElement.scrollHeight - window.innerHeight;
  });
  const distance = Math.min(bottom, WHEEL_LIMIT);
  await page.mouse.move(viewport.width / 2, viewport.height / 2);
  await page.evaluate(() => {
    window.__benchGaps = [];
    window.__benchFrames = true;
    let last = null;
    const loop = (now) => {
      if (last !== null) window.__benchGaps.push(now - last);
      last = now;
      if (window.__benchFrames) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
  const started = Date.now();
  for (let moved = 0; moved < distance; moved += WHEEL_PX) await page.mouse.wheel(0, WHEEL_PX);
  // The wheel's smooth scrolling runs on after the last notch; wait until it stops.
  const end = await page.evaluate(async () => {
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    let still = 0;
    let y = window.scrollY;
    while (still < 20) {
      await frame();
      still = window.scrollY === y ? still + 1 : 0;
      y = window.scrollY;
    }
    window.__benchFrames = false;
    return window.scrollY;
  });
  if (end < distance - 1) throw new Error(`the wheel scroll stopped at ${end} px of ${distance}`);
  const gaps = await page.evaluate(() => window.__benchGaps);
  return { gaps, seconds: (Date.now() - started) / 1000, distance };
}

async function measure(browser, name) {
  const options = VIEWPORTS[name];
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const watch = watchRequests(page);

  const signInStarted = Date.now();
  await signIn(page);
  const firstCardSeconds = (Date.now() - signInStarted) / 1000;

  watch.phase = "load";
  const loaded = await loadAll(page);
  const events = Number(loaded.count.match(/^\d+/)?.[0] ?? NaN);
  const pageMs = [...watch.pageMs].sort((a, b) => a - b);
  log(
    `${name}: first card ${firstCardSeconds.toFixed(1)} s after signing in; all ${events} events in ` +
      `${loaded.seconds.toFixed(1)} s (${pageMs.length} pages)`,
  );
  if (events !== EXPECTED) log(`${name}: warning: the timeline lists ${events} events, the database ${EXPECTED}`);
  // Let the cards at the bottom fetch their details and pictures before measuring.
  await page.waitForTimeout(1000);
  watch.phase = "settle";

  const dom = await domCounts(page);
  const cdp = await context.newCDPSession(page);
  // Collected first, so the heap is what the page keeps, not what awaits collection.
  await cdp.send("HeapProfiler.collectGarbage");
  const heapBytes = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? NaN);
  log(`${name}: ${dom.cards} cards, ${dom.nodes} DOM nodes, heap ${(heapBytes / 1048576).toFixed(1)} MB`);

  watch.phase = "stepped";
  const stepped = await withLongTasks(page, () => steppedScroll(page));
  watch.phase = "wheel";
  const wheel = await withLongTasks(page, () => wheelScroll(page, options.viewport));
  watch.phase = "after";
  const scroll = {};
  for (const [kind, run] of Object.entries({ stepped, wheel })) {
    scroll[kind] = { px: run.distance, frames: frameStats(run.gaps), long_tasks: run.longTasks, gaps: run.gaps };
    const f = scroll[kind].frames;
    log(
      `${name}, ${kind} scroll: ${f.count} frames, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms, ` +
        `max ${f.max.toFixed(1)} ms, ${f.long} long frames, ${run.longTasks.length} long tasks` +
        ` over ${run.distance} px` + (run.seconds ? ` in ${run.seconds.toFixed(1)} s` : ""),
    );
  }
  await context.close();

  const none = { pages: 0, details: 0, pictures: 0, other: 0 };
  return {
    width: options.viewport.width,
    height: options.viewport.height,
    is_mobile: Boolean(options.isMobile),
    first_card_seconds: firstCardSeconds,
    load: {
      events,
      expected: EXPECTED,
      seconds: loaded.seconds,
      pages: pageMs.length,
      scrolls: loaded.scrolls,
      page_ms_p50: pageMs[Math.floor(pageMs.length / 2)] ?? 0,
      page_ms_total: pageMs.reduce((sum, ms) => sum + ms, 0),
      page_ms: watch.pageMs,
    },
    dom,
    heap_bytes: heapBytes,
    scroll,
    requests: {
      load: { ...none, ...watch.phases.load },
      stepped: { ...none, ...watch.phases.stepped },
      wheel: { ...none, ...watch.phases.wheel },
      all: watch.phases,
    },
    statuses: watch.statuses,
    page_errors: pageErrors,
  };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // Precise memory info: otherwise performance.memory is rounded to hide it from sites.
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--enable-precise-memory-info"],
});
try {
  const results = { base: BASE, chromium: browser.version(), viewports: {} };
  for (const name of wanted) {
    if (!VIEWPORTS[name]) throw new Error(`unknown viewport ${name} (desktop, phone)`);
    results.viewports[name] = await measure(browser, name);
  }
  fs.writeFileSync(OUT, JSON.stringify(results, null, 1));
} catch (error) {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
