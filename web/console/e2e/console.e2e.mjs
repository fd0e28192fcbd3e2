// End-to-end test of the console in Debian's headless Chromium (driven by
// playwright-core, which downloads no browser), against a real gateway over a real
// pipeline run. The Rust test crates/pipeline-tests/tests/model_console.rs starts the
// pipeline and the gateway, waits for the sample photos' events, and runs this script
// with:
//   HSI_E2E_BASE          the gateway's address (it serves the console at /)
//   HSI_E2E_ADMIN_KEY, HSI_E2E_OPERATOR_KEY, HSI_E2E_READ_KEY
//   HSI_E2E_DROP_PHOTO    a photo to drop into HSI_E2E_DROP_DIR while the timeline is open
//   HSI_E2E_DROP_DIR      a camera folder (created) the file watcher does not know yet
//   HSI_E2E_ARTIFACTS     where screenshots and the axe report go
//   CHROMIUM              the browser (default /usr/bin/chromium)
// Every check that fails is printed; the exit status is the number of failures (1 at
// least when anything failed), so the Rust test fails with this output.

import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE = env("HSI_E2E_BASE");
const KEYS = { admin: env("HSI_E2E_ADMIN_KEY"), operator: env("HSI_E2E_OPERATOR_KEY"), read: env("HSI_E2E_READ_KEY") };
const ARTIFACTS = env("HSI_E2E_ARTIFACTS");
const DROP_PHOTO = env("HSI_E2E_DROP_PHOTO");
const DROP_DIR = env("HSI_E2E_DROP_DIR");
fs.mkdirSync(ARTIFACTS, { recursive: true });
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let failures = 0;
const axeReport = [];
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

/** The API with a key, as any client would call it. */
async function api(key, method, route, body) {
  const response = await fetch(`${BASE}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});

async function signedIn(key, { width = 1280, height = 900, scheme = "light" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on("pageerror", (e) => check(false, `no script error on the page: ${e.message}`));
  await page.goto(`${BASE}/`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("sign-out").waitFor();
  // The key stays out of the address bar and out of cookies.
  check(!page.url().includes(key), "the key is not in the URL");
  check((await context.cookies()).length === 0, "no cookies are set");
  return page;
}

async function axe(page, label) {
  // Judge the page as it rests: a transition caught half-way is not what a user reads.
  await page.evaluate(() =>
    Promise.race([
      Promise.all(document.getAnimations().map((a) => a.finished.catch(() => {}))),
      new Promise((done) => setTimeout(done, 2000)),
    ]),
  );
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () =>
    (await window.axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      target: v.nodes[0]?.target.join(" "),
    })),
  );
  axeReport.push({ page: label, violations });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(bad.length === 0, `axe ${label}: ${bad.length ? JSON.stringify(bad) : "no serious or critical violation"}`);
}

async function shot(page, name) {
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Client-side navigation (keeps the open WebSocket and the signed-in session). */
const go = (page, route) =>
  page.evaluate((r) => {
    history.pushState(null, "", r);
    dispatchEvent(new PopStateEvent("popstate"));
  }, route);

const cardIds = (page) =>
  page.getByTestId("event-card").evaluateAll((cards) => cards.map((c) => Number(c.dataset.eventId)));

try {
  // What the pipeline produced, as the API tells it.
  let all = (await api(KEYS.read, "GET", "/events?limit=100")).events;
  check(all.length >= 2, `the pipeline produced events (${all.length})`);

  // ---- sign in: a wrong key is refused with the gateway's message
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${BASE}/`);
    await page.getByLabel("API key").fill("hsi_0000000000000000_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("sign-in-error").waitFor();
    check(/not valid/i.test(await page.getByTestId("sign-in-error").textContent()), "a wrong key is refused");
    await axe(page, "sign-in");
    await shot(page, "sign-in");
    await context.close();
  }

  // ---- timeline: the events of the sample photos, newest first
  const page = await signedIn(KEYS.admin);
  await page.getByTestId("event-card").first().waitFor();
  await page.waitForSelector("[data-testid=detection-box]");
  // A loaded machine may still finish a late batch: compare with the API as it is now,
  // until both agree (the timeline takes new events live), for up to 10 s.
  let shown = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    all = (await api(KEYS.read, "GET", "/events?limit=100")).events;
    shown = await cardIds(page);
    if (JSON.stringify(shown) === JSON.stringify(all.map((e) => e.id))) break;
    await page.waitForTimeout(500);
  }
  check(
    JSON.stringify(shown) === JSON.stringify(all.map((e) => e.id)),
    `the timeline shows the API's events in order: ${shown} vs ${all.map((e) => e.id)}`,
  );
  await axe(page, "timeline");
  await shot(page, "timeline");

  // ---- filter by a camera and a level the data has: exactly the API's events
  const { camera_id: cameraId, risk_level: level } = all[0];
  const filtered = all.filter((e) => e.camera_id === cameraId && e.risk_level === level).map((e) => e.id);
  check(filtered.length < all.length, `the filter narrows (${filtered.length} of ${all.length})`);
  await page.getByTestId("filters-toggle").click();
  await page.getByTestId(`filter-camera-${cameraId}`).check();
  await page.getByTestId(`filter-level-${level}`).check();
  await page.getByTestId("filter-apply").click();
  await page.waitForURL(new RegExp(`risk_levels=${level}`));
  await page.waitForFunction(
    (n) => document.querySelectorAll("[data-testid=event-card]").length === n,
    filtered.length,
  );
  check(JSON.stringify(await cardIds(page)) === JSON.stringify(filtered), `the filter on ${cameraId} and ${level} shows exactly ${filtered}`);
  await shot(page, "timeline-filtered");
  // A shared link opens the same view once its reader has signed in (the key is kept
  // per tab, so a new tab asks for it).
  const shared = page.url();
  const other = await page.context().newPage();
  await other.goto(shared);
  await other.getByLabel("API key").fill(KEYS.read);
  await other.getByRole("button", { name: "Sign in" }).click();
  await other.getByTestId("sign-out").waitFor();
  check(other.url() === shared, `the shared link survives signing in: ${other.url()}`);
  await other.waitForFunction(
    (n) => document.querySelectorAll("[data-testid=event-card]").length === n,
    filtered.length,
  );
  check(JSON.stringify(await cardIds(other)) === JSON.stringify(filtered), "the filtered view's URL opens the same view");
  await other.close();
  await page.getByTestId("filter-clear").click().catch(() => {});
  await page.goto(`${BASE}/`);
  await page.getByTestId("event-card").first().waitFor();
  const word = all.find((e) => e.object_types.includes("dog")) ? "dog" : all[0].object_types[0];
  const found = (await api(KEYS.read, "GET", `/events/search?q=${encodeURIComponent(word)}`)).hits.map((h) => h.event.id);
  const withWord = all.filter((e) => e.object_types.includes(word)).map((e) => e.id);
  check(
    withWord.every((id) => found.includes(id)),
    `searching "${word}" finds the events with a ${word} (${withWord} in ${found}, of ${all.length})`,
  );
  await page.getByTestId("search-input").fill(word);
  await page.getByTestId("search-submit").click();
  await page.waitForURL(new RegExp(`q=${word}`));
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=event-card]").length === n, found.length);
  check(
    JSON.stringify([...(await cardIds(page))].sort()) === JSON.stringify([...found].sort()),
    `the search for "${word}" shows ${found}`,
  );
  await shot(page, "timeline-search");

  // ---- a new photo dropped into a camera folder appears on the open timeline
  await page.goto(`${BASE}/`);
  await page.getByTestId("event-card").first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  const known = new Set(await cardIds(page));
  fs.mkdirSync(DROP_DIR, { recursive: true });
  fs.copyFileSync(DROP_PHOTO, path.join(DROP_DIR, path.basename(DROP_PHOTO)));
  const camera = path.basename(DROP_DIR).toLowerCase().replace(/[^a-z0-9]+/g, "_");
  await page.waitForFunction(
    ({ known, camera }) =>
      [...document.querySelectorAll("[data-testid=event-card]")].some(
        (c) => !known.includes(Number(c.dataset.eventId)) && c.textContent.toLowerCase().includes(camera.replace(/_/g, " ")),
      ),
    { known: [...known], camera },
    { timeout: 240_000 },
  );
  const fresh = (await cardIds(page)).filter((id) => !known.has(id));
  check(fresh.length >= 1, `the new photo's event ${fresh} appeared without a reload`);
  check(/new/.test(await page.getByTestId("live-badge").textContent()), `the live badge counts it: ${await page.getByTestId("live-badge").textContent()}`);

  // ---- an event: its images with boxes, mark reviewed, give feedback
  const target = all.find((e) => e.detection_ids.length > 0) ?? all[0];
  await go(page, `/events/${target.id}`);
  await page.getByTestId("event-page").waitFor();
  await page.getByTestId("event-image").first().locator("img").waitFor();
  await page.getByTestId("event-image").first().getByTestId("detection-box").first().waitFor();
  const boxes = await page.getByTestId("detection-box").count();
  check(boxes >= 1, `the event page draws ${boxes} detection boxes`);
  await axe(page, "event");
  await shot(page, "event");
  await page.getByTestId("review-reviewed").check();
  await page.getByTestId("review-notes").fill("checked from the console");
  await page.getByTestId("review-save").click();
  await page.getByTestId("review-saved").waitFor();
  await page.getByTestId("feedback-severity_wrong").check();
  await page.getByTestId("feedback-expected").selectOption("low");
  await page.getByTestId("feedback-save").click();
  await page.getByTestId("feedback-current").waitFor();
  const reviewed = (await api(KEYS.read, "GET", `/events/${target.id}`)).event;
  check(reviewed.reviewed === true && reviewed.notes === "checked from the console", `the API has the review: ${reviewed.reviewed} ${reviewed.notes}`);
  const feedback = await api(KEYS.read, "GET", `/events/${target.id}/feedback`);
  check(
    JSON.stringify(feedback).includes("severity_wrong") && JSON.stringify(feedback).includes("low"),
    `the API has the feedback: ${JSON.stringify(feedback)}`,
  );

  // ---- draw a zone over the camera's latest image
  await go(page, "/cameras");
  await page.getByTestId("camera-card").first().waitFor();
  await axe(page, "cameras");
  await shot(page, "cameras");
  await go(page, `/cameras/${target.camera_id}`);
  await page.getByTestId("zone-list").waitFor();
  await page.getByTestId("zone-new").click();
  await page.getByTestId("zone-name").fill("Front path");
  const editor = page.getByTestId("zone-editor");
  await editor.scrollIntoViewIfNeeded();
  const box = await editor.boundingBox();
  for (const [x, y] of [[0.2, 0.3], [0.7, 0.3], [0.6, 0.8]]) {
    await page.mouse.click(box.x + x * box.width, box.y + y * box.height);
  }
  await page.getByTestId("zone-handle").first().click();
  await axe(page, "zone editor");
  await shot(page, "zone-editor");
  await page.getByTestId("zone-save").click();
  await page.getByTestId("zone-saved").waitFor();
  const zones = (await api(KEYS.read, "GET", `/zones?camera_id=${target.camera_id}`)).zones;
  const zone = zones.find((z) => z.name === "Front path");
  check(zone !== undefined, `the API lists the drawn zone: ${JSON.stringify(zones.map((z) => z.name))}`);
  if (zone) {
    const points = JSON.stringify(zone);
    const near = (a, b) => Math.abs(a - b) < 0.02;
    const coords = (zone.points ?? []).map((p) => [p.x, p.y]);
    check(
      coords.length === 3 && near(coords[0][0], 0.2) && near(coords[0][1], 0.3) && near(coords[1][0], 0.7) && near(coords[2][1], 0.8),
      `the zone is saved in normalised coordinates: ${points}`,
    );
  }

  // ---- create a rule and test it against the events
  await go(page, "/rules");
  await page.getByTestId("rule-new").click();
  await page.getByTestId("rule-name").fill("Person at night");
  await page.getByTestId("rule-threshold").fill("0");
  await page.getByTestId("rule-classes").fill("person");
  await page.getByTestId("rule-save").click();
  await page.getByTestId("rule-saved").waitFor();
  const rules = (await api(KEYS.admin, "GET", "/alert-rules")).rules;
  check(rules.some((r) => r.name === "Person at night"), `the API lists the rule: ${rules.map((r) => r.name)}`);
  await page.getByTestId("rule-test-limit").fill("50");
  await page.getByTestId("rule-test-run").click();
  await page.getByTestId("rule-test-summary").waitFor();
  const summary = await page.getByTestId("rule-test-summary").textContent();
  const withPerson = (await api(KEYS.read, "GET", "/events?limit=100")).events.filter((e) => e.object_types.includes("person")).length;
  check(summary.includes(`${withPerson} of`), `the rule test fires for the ${withPerson} events with a person: "${summary}"`);
  await axe(page, "rule editor");
  await shot(page, "rule");

  // ---- the other main pages
  // ---- the alerts the rule set up before the run raised: acknowledge one
  await go(page, "/alerts");
  await page.getByTestId("alert-item").first().waitFor();
  await axe(page, "alerts");
  await shot(page, "alerts");
  const alertId = await page.getByTestId("alert-item").first().getAttribute("data-alert-id");
  await page.getByTestId("alert-item").first().getByTestId("alert-acknowledge").click();
  await page.waitForFunction(
    async ({ id, key }) => {
      const r = await fetch(`/api/v1/alerts/${id}`, { headers: { authorization: `Bearer ${key}` } });
      return r.ok && (await r.json()).status === "acknowledged";
    },
    { id: alertId, key: KEYS.read },
    { polling: 500 },
  );
  check(true, `alert ${alertId} acknowledged from the inbox, as the API says`);
  await go(page, "/system");
  await page.getByTestId("queues").waitFor();
  await axe(page, "system");
  await shot(page, "system");
  await go(page, "/settings/keys");
  await page.getByTestId("key-list").waitFor();
  await axe(page, "settings");
  await shot(page, "settings");
  await page.context().close();

  // ---- on a phone, in the dark
  {
    const phone = await signedIn(KEYS.operator, { width: 390, height: 844, scheme: "dark" });
    await phone.getByTestId("event-card").first().waitFor();
    await phone.waitForSelector("[data-testid=detection-box]");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `nothing overflows a 390-pixel screen (${overflow} px)`);
    await axe(phone, "timeline on a phone, dark");
    await shot(phone, "timeline-phone-dark");
    await go(phone, `/events/${target.id}`);
    await phone.getByTestId("event-page").waitFor();
    await axe(phone, "event on a phone, dark");
    await shot(phone, "event-phone-dark");
    await phone.context().close();
  }

  // ---- a read-only key sees no edit controls
  {
    const read = await signedIn(KEYS.read);
    await read.getByTestId("event-card").first().waitFor();
    await go(read, `/events/${target.id}`);
    await read.getByTestId("event-page").waitFor();
    await read.getByTestId("judgement").waitFor();
    for (const id of ["review-form", "feedback-form", "event-delete", "event-reanalyse"]) {
      check((await read.getByTestId(id).count()) === 0, `read key: no ${id}`);
    }
    await go(read, `/cameras/${target.camera_id}`);
    await read.getByTestId("zone-list").waitFor();
    check((await read.getByTestId("zone-new").count()) === 0, "read key: no zone editing");
    check((await read.getByTestId("camera-rename").count()) === 0, "read key: no camera rename");
    check((await read.getByTestId("nav-rules").count()) === 0, "read key: no rules");
    await go(read, "/alerts");
    await read.getByTestId("alerts-list").waitFor();
    check((await read.getByTestId("alert-acknowledge").count()) === 0, "read key: no acknowledge");
    await go(read, "/settings");
    await read.waitForTimeout(500);
    check((await read.getByTestId("settings-tab-keys").count()) === 0, "read key: no API keys");
    await read.context().close();
  }

  // ---- a key revoked while its console is open: the live socket closes (1008) and
  // the console signs out, saying why, without any click
  {
    const created = await api(KEYS.admin, "POST", "/api-keys", { name: "e2e-revoked", scope: "read" });
    const tab = await signedIn(created.secret);
    await tab.getByTestId("event-card").first().waitFor();
    await api(KEYS.admin, "DELETE", `/api-keys/${created.key.id}`);
    await tab.getByLabel("API key").waitFor({ timeout: 30_000 });
    const said = await tab.getByTestId("sign-out-reason").textContent();
    check(/revoked/i.test(said), `a revoked key's open console signs out by itself: "${said}"`);
    await tab.context().close();
  }
} catch (err) {
  check(false, `the flow ran to its end: ${err.stack ?? err}`);
} finally {
  fs.writeFileSync(path.join(ARTIFACTS, "axe.json"), JSON.stringify(axeReport, null, 2));
  await browser.close();
}
console.log(`${failures} check(s) failed; screenshots in ${ARTIFACTS}`);
process.exit(failures === 0 ? 0 : Math.min(failures, 100));
