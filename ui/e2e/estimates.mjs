// Estimates and statistics in the browser (SPEC §10, §11), against a real `waymark serve`
// (crates/waymark/tests/it/ui.rs): a population is sent with the real Segment Node client,
// then a draft journey is built on the canvas and every step shows the server's size (the
// sample holds the whole small population, so figures are exact and checkable); typing a
// milestone's criteria changes the criteria builder's live count and the canvas within a
// second or two; a criterion the estimator cannot count shows a warning triangle with its
// reason; the saved draft's figures are the API's; the entry preview lists sampled users; an
// audience's form counts too. Then the journey is published with a goal and a control group,
// fed entrants and conversions, and its statistics view shows goal conversion with
// intervals, the uplift with its interval, a funnel along a path picked on the canvas,
// entries over time and deliveries per connection. Screenshots go to UI_ARTIFACTS; axe-core
// must find no critical violation on them.
import http from "node:http";
import { Analytics } from "@segment/analytics-node";
import { BASE, api, axeCritical, check, eventually, launch, newPage, shot, signIn, stepper } from "./lib.mjs";

const WRITE_KEY = process.env.WAYMARK_WRITE_KEY;
check(WRITE_KEY, "WAYMARK_WRITE_KEY is required");
const analytics = new Analytics({ writeKey: WRITE_KEY, host: BASE, flushAt: 20, flushInterval: 200, maxRetries: 3 });
const track = (userId, event) => analytics.track({ userId, event });

const failures = [];
const step = stepper();
const a11y = async (page, screen) => {
  const v = await axeCritical(page);
  if (v.length) failures.push(`${screen}: axe critical violations:\n  ${v.join("\n  ")}`);
};
/** The text of a node's size (its estimate, or its real count once running). */
const nodeSize = (page, suffix) => page.locator(`.step-node[data-step$="${suffix}"] .aud-size`).first().innerText();
/** Waits for `f()` to return `want`, and answers how long it took. */
const within = async (what, f, want, ms = 8000) => {
  const t = Date.now();
  await eventually(`${what} to read ${want}`, async () => (await f()).trim() === want, ms);
  return Date.now() - t;
};

// ---- A local webhook receiver for the false path's connection.
// Its first request is refused with a 400 (a permanent failure: one dead delivery, and the
// connection's last error); every later one is accepted.
let received = 0;
let refused = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    if (refused++ === 0) return res.writeHead(400).end("no such user");
    received++;
    res.writeHead(200).end("ok");
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
check((await api("POST", "/api/outputs", { id: "hook", name: "Hook", kind: "webhook", url: `http://127.0.0.1:${receiver.address().port}/hook` })).status < 300, "the webhook output");

// ---- The population: 30 users viewed a product, 12 of them also ordered.
for (let i = 1; i <= 30; i++) track(`p${String(i).padStart(2, "0")}`, "Product Viewed");
for (let i = 1; i <= 12; i++) track(`p${String(i).padStart(2, "0")}`, "Order Completed");
await analytics.flush();
const count = async (criteria) => (await api("POST", "/api/estimate", { workspace: "shop", criteria })).body;
await eventually("the 30 viewers in the estimator", async () => (await count({ event: "Product Viewed" })).estimate === 30);
await eventually("the 12 buyers in the estimator", async () => (await count({ event: "Order Completed" })).estimate === 12);
step("population sent");

const browser = await launch();
let page;
try {
  page = await newPage(browser);
  await signIn(page);

  // ---- A draft: entry on Product Viewed, a wait, a true/false split on Order Completed.
  await page.getByRole("link", { name: "New Journey" }).click();
  await page.getByLabel(/Journey name/).fill("Estimates");
  await page.getByLabel("Shop web").check();
  await page.getByLabel("Users enter on the event").fill("Product Viewed");
  await page.getByRole("button", { name: "Create journey" }).click();
  await page.getByRole("toolbar", { name: "Journey actions" }).waitFor();
  await within("the saved entry's estimate", () => nodeSize(page, "entry"), "30");
  step("the saved draft's entry shows the server's 30");

  await page.getByRole("button", { name: "Add a step under On Product Viewed" }).click();
  await page.getByRole("menuitem", { name: "Wait", exact: true }).click();
  await page.getByLabel("Step name").fill("Pause");
  await page.getByLabel("Duration").fill("1s");
  await page.getByRole("button", { name: "Split the path under Pause" }).click();
  await page.getByRole("menuitem", { name: "True / false split" }).click();
  await page.getByRole("button", { name: /^Step True/ }).click();
  // Unsaved edits are estimated as they are typed (by the server, from the edited
  // definition): the wait passes everyone, the split divides them.
  const live = page.getByRole("region", { name: "Milestone criteria" }).getByTestId("live-count");
  await page.getByLabel("Milestone criteria event name").fill("Order Completed");
  const t1 = await within("the live count of Order Completed", () => live.innerText(), "12");
  const t2 = await within("the true path on the canvas", () => nodeSize(page, "-true"), "12");
  await within("the false path on the canvas", () => nodeSize(page, "-false"), "18");
  const pause = page.locator(".step-node", { has: page.locator(".step-name", { hasText: /^Pause$/ }) }).locator(".aud-size");
  await within("the unsaved wait's estimate", () => pause.innerText(), "30");
  step(`typed Order Completed: live count after ${t1} ms, canvas after ${t1 + t2} ms`);
  check(t1 + t2 < 5000, `the figures took ${t1 + t2} ms`);

  await page.getByLabel("Milestone criteria event name").fill("Product Viewed");
  await within("the live count of Product Viewed", () => live.innerText(), "30");
  await within("the false path when everyone took the true one", () => nodeSize(page, "-false"), "0");
  await shot(page, "e1-draft-estimates");
  await a11y(page, "draft estimates");

  // Two conditions: each gets its own count; one names an attribute the workspace does not
  // define, so it (and the whole) is a warning triangle with the reason.
  await page.getByRole("region", { name: "Milestone criteria" }).getByLabel("Edit as JSON").check();
  await page.getByLabel("Milestone criteria JSON").fill(JSON.stringify({ all: [{ event: "Order Completed" }, { attribute: "ltv", op: "gte", value: 1 }] }));
  const perCondition = page.getByRole("list", { name: "Milestone criteria per condition" });
  await within("the first condition's count", () => perCondition.getByTestId("live-count-1").innerText(), "12");
  const triangle = perCondition.getByTestId("live-count-2");
  await within("the unknown attribute's triangle", () => triangle.innerText(), "⚠");
  const reason = await triangle.getAttribute("aria-label");
  check(/Cannot estimate: .*ltv/.test(reason ?? ""), "the triangle's reason: " + reason);
  await within("the whole criteria's triangle", () => live.innerText(), "⚠");
  await within("the true node's triangle", () => nodeSize(page, "-true"), "⚠");
  await shot(page, "e2-live-count-errors");
  await a11y(page, "estimate errors");

  // Saved: the canvas shows the server's figures, the same as the API's.
  await page.getByLabel("Milestone criteria JSON").fill(JSON.stringify({ event: "Order Completed" }));
  await within("the live count back to 12", () => live.innerText(), "12");
  // The false path sends to the webhook (its deliveries show in the statistics).
  await page.getByRole("button", { name: /^Step False/ }).click();
  await page.getByRole("button", { name: "+ add a connection" }).click();
  await page.getByLabel("Connection 1 output").selectOption("hook");
  await page.getByRole("button", { name: "Save draft" }).click();
  await page.getByText("Saved. No problems found.").waitFor();
  const est = (await api("GET", "/api/journeys/estimates/estimate")).body;
  for (const s of est.steps) {
    const want = s.size.estimate === undefined ? JSON.stringify(s.size) : String(s.size.estimate);
    const id = s.step;
    await eventually(`${id} on the canvas as in the API (${want})`, async () => (await page.locator(`.step-node[data-step="${id}"] .aud-size`).innerText()).trim() === want);
  }
  check(est.steps.find((s) => s.step.endsWith("-true")).size.estimate === 12 && est.steps.find((s) => s.step.endsWith("-false")).size.estimate === 18,
    "the API's split: " + JSON.stringify(est.steps));
  await page.getByRole("button", { name: /^Step True/ }).click();
  await page.getByTestId("panel-estimate").filter({ hasText: "12" }).waitFor();
  await shot(page, "e3-saved-estimates");
  step("saved estimates match the API");

  // The entry preview: sampled users who would enter, linked to their profiles.
  await page.getByRole("button", { name: /^Step On Product Viewed/ }).click();
  await page.getByRole("button", { name: "Preview", exact: true }).click();
  const preview = page.getByRole("table", { name: "Sampled users who would enter" });
  await preview.waitFor();
  const rows = await preview.locator("tbody tr").count();
  check(rows === 20, `the preview lists ${rows} users`);
  check(await preview.getByRole("link", { name: "p01" }).count() === 1, "p01 is in the preview");
  await shot(page, "e4-preview");
  await a11y(page, "preview");

  // ---- Published with a goal and a half control group; new entrants, some converting.
  await page.getByRole("tab", { name: "Settings" }).click();
  await page.getByLabel("Track a goal").check();
  await page.getByLabel("Goal criteria event name").fill("Signed Up");
  await page.getByLabel("Control group (% held out, 0–50)").fill("50");
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByTestId("journey-status").filter({ hasText: "published" }).waitFor();
  for (let i = 1; i <= 24; i++) track(`n${String(i).padStart(2, "0")}`, "Product Viewed");
  await analytics.flush();
  for (let i = 1; i <= 24; i++) if (i % 3 !== 0) track(`n${String(i).padStart(2, "0")}`, "Signed Up");
  await analytics.flush();
  step("published and fed 24 entrants");
  const stats = await eventually("goal conversions in the statistics API", async () => {
    const s = (await api("GET", "/api/journeys/estimates/stats")).body;
    const v = s.versions[0];
    const c = v?.conversion;
    return c && c.journey.entries + c.control.entries >= 24 && c.journey.goals + c.control.goals >= 16 ? s : null;
  }, 60000);
  const v = stats.versions[0];
  console.log("conversion: " + JSON.stringify(v.conversion));
  const entryStats = v.steps.find((s) => s.step === "entry");
  await within("the entry's real count", () => page.getByTestId("entered-entry").innerText(), String(entryStats.entered));
  await page.getByTestId("entry-control").filter({ hasText: String(v.conversion.control.entries) }).waitFor();

  await page.getByRole("tab", { name: "Statistics" }).click();
  const uplift = page.getByTestId("uplift");
  await eventually("the uplift with its interval", async () => /^[−+]?\d+\.\d pp \([−+]?\d+\.\d to [−+]?\d+\.\d\)$/.test((await uplift.innerText()).trim()));
  const fresh = (await api("GET", "/api/journeys/estimates/stats")).body.versions[0].conversion;
  const pp = (x) => `${Math.abs(x * 100).toFixed(1) === "0.0" ? "" : x < 0 ? "−" : "+"}${Math.abs(x * 100).toFixed(1)}`;
  const wantUplift = `${pp(fresh.uplift.difference)} pp (${pp(fresh.uplift.low)} to ${pp(fresh.uplift.high)})`;
  await within("the uplift as the API computes it", () => uplift.innerText(), wantUplift);
  check(/%.*\(.*%\)/.test(await page.getByTestId("rate-journey").innerText()), "the journey's rate has its interval");
  check(/%.*\(.*%\)/.test(await page.getByTestId("rate-control").innerText()), "the control's rate has its interval");
  // The funnel follows a path picked on the canvas: the false path, then its figures.
  await page.locator('.step-node[data-step$="-false"] .step-card').click();
  const falseId = est.steps.find((s) => s.step.endsWith("-false")).step;
  await page.getByTestId(`funnel-${falseId}`).waitFor();
  const funnel = (await api("GET", `/api/journeys/estimates/funnel?path=entry,${est.steps[1].step},${falseId}`)).body;
  const last = funnel.steps[funnel.steps.length - 1];
  await eventually("the funnel's false step as in the API", async () => (await page.getByTestId(`funnel-${falseId}`).innerText()).includes(String(last.entered)));
  const entries = (await api("GET", "/api/journeys/estimates/entries?bucket=hour")).body;
  const total = entries.versions[0].series.reduce((s, p) => s + p.entered, 0);
  await within("entries over time", async () => (await page.getByTestId("entries-total").innerText()).split(" ")[0], String(total));
  await page.getByRole("img", { name: /^Entries per hour/ }).waitFor();
  await page.getByRole("table", { name: "Conversion per step" }).waitFor();
  await shot(page, "e5-statistics");
  // Deliveries per connection: the false path's, as the API counts them.
  const falseStats = () => api("GET", "/api/journeys/estimates/stats").then((r) => r.body.versions[0].steps.find((s) => s.step === falseId));
  const conn = await eventually("deliveries on the false path's connection", async () => {
    const c = (await falseStats()).connections[0];
    return c.deliveries.delivered > 0 && c.deliveries.dead === 1 && c.deliveries.pending === 0 && c.last_error ? c : null;
  });
  check(received >= conn.deliveries.delivered, `the receiver got ${received} deliveries`);
  const row = page.getByTestId(`deliveries-${conn.id}`);
  await eventually("the connection's delivered count", async () => (await row.locator("td").nth(1).innerText()).trim() === String(conn.deliveries.delivered));
  check((await row.locator("td").nth(4).innerText()).trim() === "1", "one dead delivery on the connection");
  const lastError = await row.getByTestId("last-error").innerText();
  check(lastError.includes(conn.last_error.message), `the connection's last error: ${lastError} (API: ${conn.last_error.message})`);
  await page.getByRole("img", { name: /^Entries per hour/ }).scrollIntoViewIfNeeded();
  await shot(page, "e5b-statistics-entries");
  await row.scrollIntoViewIfNeeded();
  await shot(page, "e5c-statistics-deliveries");
  await page.getByRole("region", { name: "Funnel" }).scrollIntoViewIfNeeded();
  await a11y(page, "statistics");
  step("statistics: uplift, funnel and entries as the API's");

  // ---- An audience's form counts as it is typed too.
  await page.getByRole("link", { name: "Audiences" }).click();
  await page.getByRole("button", { name: "New audience" }).click();
  await page.getByLabel("Audience name").fill("Buyers");
  await page.getByLabel("Audience criteria event name").fill("Order Completed");
  const audienceLive = page.getByRole("region", { name: "Audience criteria" }).getByTestId("live-count");
  await within("the audience's live count", () => audienceLive.innerText(), "12");
  await page.getByLabel("Audience criteria event name").fill("Product Viewed");
  await within("the audience's live count after a change", () => audienceLive.innerText(), String(30 + 24));
  await shot(page, "e6-audience-live-count");
  await a11y(page, "audience form");

  if (page.errors.length) failures.push(...page.errors);
} catch (e) {
  if (page) await shot(page, "zz-failure").catch(() => {});
  failures.push(e.stack ?? String(e));
} finally {
  await browser.close();
  await analytics.closeAndFlush({ timeout: 2000 }).catch(() => {});
  receiver.close();
}

if (failures.length) {
  console.error("FAILED:\n" + failures.join("\n\n"));
  process.exit(1);
}
console.log("estimates and statistics flow passed");
