// The main browser flow, against a real `waymark serve` (started by
// crates/waymark/tests/it/ui.rs with two workspaces, an account token, a workspace token and
// loopback webhooks allowed): build a journey from scratch on the canvas by clicking and
// typing only, publish it, send events with the real Segment Node client, watch the counts
// change on the nodes, see deliveries arrive at a local webhook receiver, switch a connection
// off and on, then the version, clone and delete flows, and a workspace token's view.
// Screenshots of every main screen go to UI_ARTIFACTS; axe-core must find no critical
// violation on them.
import http from "node:http";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Analytics } from "@segment/analytics-node";
import { BASE, TOKEN, axeCritical, check, eventually, fitView, launch, newPage, shot, signIn } from "./lib.mjs";

const WS_TOKEN = process.env.WAYMARK_WS_TOKEN;
const WRITE_KEY = process.env.WAYMARK_WRITE_KEY;
check(WS_TOKEN && WRITE_KEY, "WAYMARK_WS_TOKEN and WAYMARK_WRITE_KEY are required");

// ---- A local webhook receiver: every accepted POST body, parsed. `/gone` answers its
// first request 410 (which disables the output) and `/bad` its first two 400 (a permanent
// failure: a dead delivery, dead again after one replay); after that both accept.
const received = [];
const refused = { "/gone": [410], "/bad": [400, 400] };
const receiver = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const status = refused[req.url]?.shift();
    if (status) {
      res.writeHead(status).end("no");
      return;
    }
    try { received.push({ path: req.url, body: JSON.parse(body) }); } catch { received.push({ path: req.url, raw: body }); }
    res.writeHead(200).end("ok");
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
const deliveredTo = (user, path = "/hook") => received.filter((b) => b.path === path && JSON.stringify(b).includes(`"${user}"`));

const api = async (method, path, body, token = TOKEN) => {
  const r = await fetch(BASE + path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
};

const analytics = new Analytics({ writeKey: WRITE_KEY, host: BASE, flushAt: 1, maxRetries: 3 });
const track = async (userId, event) => {
  await new Promise((resolve, reject) => analytics.track({ userId, event }, (err) => (err ? reject(err) : resolve())));
};

const failures = [];
const t0 = Date.now();
/** Progress with elapsed seconds, so a slow phase shows in the log. */
const step = (what) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);
const a11y = async (page, screen) => {
  const v = await axeCritical(page);
  if (v.length) failures.push(`${screen}: axe critical violations:\n  ${v.join("\n  ")}`);
};

const browser = await launch();
let page;
try {
  page = await newPage(browser);
  page.on("dialog", async (d) => {
    if (d.type() === "prompt") await d.accept("browser-journey-copy");
    else await d.accept();
  });

  // ---- Sign in.
  await page.goto(BASE + "/");
  await page.getByLabel("Admin token").fill("not-a-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("This token is not an admin token of this Waymark.").waitFor();
  await shot(page, "01-sign-in-error");
  await a11y(page, "sign in");
  await signIn(page);
  await page.getByTestId("credits-available").waitFor();
  await shot(page, "02-journeys-list");
  await a11y(page, "journeys list");

  // ---- An output for the webhook.
  await page.getByRole("link", { name: "Outputs" }).click();
  await page.getByLabel("Output id").fill("hook");
  await page.getByLabel("Name").fill("Test hook");
  await page.getByLabel("Webhook URL").fill(hookUrl);
  await page.getByRole("button", { name: "Create output" }).click();
  await page.getByText("Its signing secret is shown once").waitFor();
  await page.getByRole("button", { name: "Rotate secret" }).click();
  await page.getByText(/New signing secret for hook/).waitFor();
  await shot(page, "03-outputs");
  await a11y(page, "outputs");

  // ---- A new journey: name and inputs, as in mParticle's Create Journey dialog.
  await page.getByRole("link", { name: "Journeys" }).click();
  await page.getByRole("link", { name: "New Journey" }).click();
  await page.getByLabel(/Journey name/).fill("Browser journey");
  await page.getByLabel("Shop web").check();
  await page.getByLabel("Users enter on the event").fill("Signed Up");
  await shot(page, "04-new-journey");
  await a11y(page, "new journey");
  await page.getByRole("button", { name: "Create journey" }).click();
  await page.getByRole("toolbar", { name: "Journey actions" }).waitFor();
  await page.getByTestId("journey-status").filter({ hasText: "draft" }).waitFor();

  // Entry: on the event "Signed Up" (from the dialog), shown in the builder.
  await page.getByRole("button", { name: /^Step On Signed Up/ }).click();
  check((await page.getByLabel("Entry criteria event name").inputValue()) === "Signed Up", "the entry event is not in the builder");
  await page.getByLabel("Step name").fill("Signed up");
  // A wait of one second under the entry.
  await page.getByRole("button", { name: "Add a step under Signed up" }).click();
  await page.getByRole("menuitem", { name: "Wait", exact: true }).click();
  await page.getByLabel("Step name").fill("Wait a second");
  await page.getByLabel("Duration").fill("1s");
  // A true/false split under it: upgraded or not.
  await page.getByRole("button", { name: "Split the path under Wait a second" }).click();
  await page.getByRole("menuitem", { name: "True / false split" }).click();
  await page.getByRole("button", { name: /^Step True/ }).click();
  await page.getByLabel("Milestone criteria event name").fill("Upgraded");
  // A send with a webhook connection on the true path.
  await page.getByRole("button", { name: "Add a step under True" }).click();
  await page.getByRole("menuitem", { name: "Send to outputs" }).click();
  await page.getByLabel("Step name").fill("Send welcome");
  await page.getByRole("button", { name: "+ add a connection" }).click();
  await page.getByLabel("Connection 1 output").selectOption("hook");
  // A bad duration is refused next to its box.
  await page.getByRole("button", { name: /^Step Wait a second/ }).click();
  await page.getByLabel("Duration").fill("soon");
  await page.getByText("A duration is a number and a unit").waitFor();
  await page.getByLabel("Duration").fill("1s");

  // Validate with a problem: an empty milestone event is reported on its node.
  await page.getByRole("button", { name: /^Step True/ }).click();
  await page.getByLabel("Milestone criteria event name").fill("");
  await page.getByRole("button", { name: "Validate" }).click();
  await page.getByRole("alert", { name: "Problems" }).waitFor();
  const trueNode = page.locator('.step-node[data-step$="-true"]');
  await trueNode.locator(".node-problems").waitFor();
  await shot(page, "05-canvas-problems");
  await page.getByLabel("Milestone criteria event name").fill("Upgraded");

  // Journey settings: exit criteria, goal, frequency cap, time zone; limits as you type.
  await page.getByRole("tab", { name: "Settings" }).click();
  const exit = page.getByRole("region", { name: "Exit criteria" });
  await exit.getByRole("button", { name: "+ add a condition" }).click();
  await page.getByLabel("Exit criteria event name").fill("Unsubscribed");
  await page.getByLabel("Track a goal").check();
  await page.getByLabel("Goal criteria event name").fill("Order Completed");
  await page.getByLabel("Control group (% held out, 0–50)").fill("60");
  await page.getByText("Between 0 and 50").waitFor();
  await page.getByLabel("Control group (% held out, 0–50)").fill("");
  await page.getByLabel("Frequency cap on sends per user").check();
  await page.getByLabel("At most").fill("2");
  await page.getByLabel("Time zone for users without a timezone trait").fill("Europe/Paris");
  await shot(page, "06a-settings");
  await a11y(page, "settings");

  await page.getByRole("button", { name: "Save draft" }).click();
  await page.getByText("Saved. No problems found.").waitFor();
  await shot(page, "06-canvas-built");
  await a11y(page, "canvas");

  // The saved definition is what was built.
  const saved = (await api("GET", "/api/journeys/browser-journey")).body.definition;
  const wait = saved.entry.steps[0];
  check(saved.entry.criteria.event === "Signed Up", "entry criteria " + JSON.stringify(saved.entry.criteria));
  check(wait.type === "wait" && wait.wait.duration === "1s" && wait.branching === "decide", "wait " + JSON.stringify(wait));
  check(wait.steps[0].criteria.event === "Upgraded" && wait.steps[1].type === "remaining", "split " + JSON.stringify(wait.steps));
  const send = wait.steps[0].steps[0];
  const st = saved.settings;
  check(JSON.stringify(st.exit) === JSON.stringify({ event: "Unsubscribed" }) && st.goal.criteria.event === "Order Completed"
    && st.frequency_cap.max === 2 && st.frequency_cap.per === "7d" && st.timezone === "Europe/Paris" && st.control_group === undefined,
    "settings " + JSON.stringify(st));
  check(JSON.stringify(saved.inputs) === JSON.stringify(["shop/web"]), "inputs " + JSON.stringify(saved.inputs));
  check(send.type === "send" && send.connections[0].output === "hook" && send.connections[0].active, "send " + JSON.stringify(send));

  // ---- Publish, then events from the real Segment client.
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByTestId("journey-status").filter({ hasText: "published" }).waitFor();
  await track("ana", "Signed Up");
  await track("ana", "Upgraded");
  await track("ben", "Signed Up");
  await eventually("two entries on the entry node", async () => (await page.getByTestId("entered-entry").textContent()) === "2");
  await eventually("one user on the send node", async () => (await page.getByTestId(`entered-${send.id}`).textContent()) === "1", 60000);
  await eventually("a delivery for ana at the receiver", async () => deliveredTo("ana").length > 0, 60000);
  check(deliveredTo("ben").length === 0, "ben did not upgrade and must not be sent");
  await page.getByRole("tab", { name: "Statistics" }).click();
  await page.getByRole("region", { name: "Funnel" }).waitFor();
  await shot(page, "07-canvas-live-stats");
  await a11y(page, "statistics");

  // A dry run over the stored history: who would enter which step.
  await page.getByRole("tab", { name: "Simulate" }).click();
  await page.getByRole("button", { name: "Simulate over stored history" }).click();
  const simRow = page.getByRole("table", { name: "Simulated entries per step" }).getByRole("row", { name: /Send welcome/ });
  await simRow.waitFor();
  check(/Send welcome\s*1\b/.test(await simRow.innerText()), "simulated send row: " + (await simRow.innerText()));
  await shot(page, "07a-simulate");

  // ---- Switch the connection off: a new upgrader is not sent; on again: sent.
  const sw = page.getByRole("switch", { name: /Connection .* on Send welcome/ });
  await fitView(page);
  await sw.click();
  await eventually("the switch off", async () => (await sw.getAttribute("aria-checked")) === "false");
  const off = (await api("GET", "/api/journeys/browser-journey")).body.definition.entry.steps[0].steps[0].steps[0].connections[0];
  check(off.active === false, "the server kept the connection on: " + JSON.stringify(off));
  await track("cem", "Signed Up");
  await track("cem", "Upgraded");
  await eventually("cem on the send node", async () => (await page.getByTestId(`entered-${send.id}`).textContent()) === "2", 60000);
  // Deliveries are recorded before the move that causes them is applied, so by now an
  // active connection would have queued one for cem: there is none, and none arrived.
  const queued = (await api("GET", "/api/outputs/hook/deliveries?user=cem")).body.deliveries;
  check(queued.length === 0 && deliveredTo("cem").length === 0, "a switched-off connection delivered: " + JSON.stringify(queued));
  await shot(page, "08-connection-off");
  await fitView(page);
  await sw.click();
  await eventually("the switch on", async () => (await sw.getAttribute("aria-checked")) === "true");
  await eventually("cem delivered once the connection is on again", async () => deliveredTo("cem").length > 0, 60000);

  // ---- A change a published journey cannot take makes a new version.
  await page.getByRole("button", { name: /^Step Signed up/ }).click();
  await page.getByLabel("Entry criteria event name").fill("Registered");
  await page.getByRole("button", { name: "Save draft" }).click();
  await page.getByText(/Saved as draft version 2/).waitFor();
  await page.getByTestId("journey-status").filter({ hasText: "draft" }).waitFor();
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByTestId("journey-status").filter({ hasText: "published" }).waitFor();
  await page.getByRole("tab", { name: "Versions" }).click();
  await page.getByRole("button", { name: /v2 live/ }).waitFor();
  await page.getByRole("button", { name: /v1 finishing/ }).waitFor();
  check((await page.getByRole("button", { name: /live/ }).count()) === 1, "more than one live version");
  await page.getByRole("button", { name: /^v1/ }).click();
  await shot(page, "09-versions");
  await a11y(page, "versions");
  const versions = (await api("GET", "/api/journeys/browser-journey")).body.versions;
  check(versions.length === 2 && versions[1].status === "published", "versions " + JSON.stringify(versions));

  // ---- Clone, then delete the clone: refused while it has steps, allowed once they are gone.
  await page.getByRole("button", { name: "Clone" }).click();
  await page.waitForURL(/browser-journey-copy/);
  await page.getByTestId("journey-status").filter({ hasText: "draft" }).waitFor();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByText(/not_deletable/).waitFor();
  await shot(page, "10-delete-refused");
  await page.getByRole("button", { name: /^Step Wait a second/ }).click();
  await page.getByRole("button", { name: /Delete this step/ }).click();
  await page.getByRole("button", { name: "Save draft" }).click();
  await page.getByText("Saved. No problems found.").waitFor();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("heading", { name: "Journeys" }).waitFor();
  check((await api("GET", "/api/journeys/browser-journey-copy")).status === 404, "the clone was not deleted");

  step("outputs that refuse");
  // ---- Two more outputs whose receivers refuse at first.
  await page.getByRole("link", { name: "Outputs" }).click();
  for (const [id, name] of [["gone", "Gone hook"], ["bad", "Bad hook"]]) {
    await page.getByLabel("Output id").fill(id);
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Webhook URL").fill(hookUrl.replace("/hook", `/${id}`));
    await page.getByRole("button", { name: "Create output" }).click();
    await page.getByRole("row", { name: new RegExp(name) }).waitFor();
  }
  // Every other kind of output: a Segment-compatible endpoint, an NDJSON file, a list.
  await page.getByRole("combobox", { name: /^Kind/ }).selectOption("segment");
  await page.getByLabel("Output id").fill("seg");
  await page.getByLabel("Name").fill("Segment copy");
  await page.getByLabel("Endpoint", { exact: true }).fill(hookUrl.replace("/hook", "/seg"));
  await page.getByLabel("Write key", { exact: true }).fill("wk_copy");
  await page.getByRole("button", { name: "Create output" }).click();
  await page.getByText("Output seg (segment) created.").waitFor();
  await page.getByRole("combobox", { name: /^Kind/ }).selectOption("file");
  await page.getByLabel("Output id").fill("file");
  await page.getByLabel("Name").fill("NDJSON file");
  await page.getByLabel("File path on the server").fill(join(tmpdir(), `waymark-e2e-${process.pid}.ndjson`));
  await page.getByRole("button", { name: "Create output" }).click();
  await page.getByText("Output file (file) created.").waitFor();
  await page.getByRole("combobox", { name: /^Kind/ }).selectOption("list");
  await page.getByLabel("Output id").fill("vip");
  await page.getByLabel("Name").fill("VIP list");
  await page.getByRole("button", { name: "Create output" }).click();
  await page.getByText("Output vip (list) created.").waitFor();
  for (const [id, kind] of [["seg", "segment"], ["file", "file"], ["vip", "list"]]) {
    await eventually(`output ${id} listed`, async () => (await page.getByTestId(`kind-${id}`).textContent()).startsWith(kind));
  }
  await page.getByRole("row", { name: /VIP list/ }).getByRole("button", { name: "Members CSV" }).waitFor();
  await shot(page, "10a-outputs-every-kind");

  // ---- A second journey, like the seeds' consent-based channel choice: a multi-branch
  // split on consent, a random A/B split with weights, and an exit.
  await page.getByRole("link", { name: "Journeys" }).click();
  await page.getByRole("link", { name: "New Journey" }).click();
  await page.getByLabel(/Journey name/).fill("Consent channel");
  await page.getByLabel("Shop web").check();
  await page.getByLabel("Users enter on the event").fill("Product Viewed");
  await page.getByRole("button", { name: "Create journey" }).click();
  await page.getByTestId("journey-status").filter({ hasText: "draft" }).waitFor();
  await page.getByRole("button", { name: "Add a step under On Product Viewed" }).click();
  await page.getByRole("menuitem", { name: "Wait", exact: true }).click();
  await page.getByLabel("Step name").fill("Wait a moment");
  await page.getByLabel("Duration").fill("1s");
  await page.getByRole("button", { name: "Split the path under Wait a moment" }).click();
  await page.getByRole("menuitem", { name: "Multi-branch split" }).click();
  for (const [branch, name, purpose] of [["Branch 1", "Email allowed", "email"], ["Branch 2", "SMS allowed", "sms"]]) {
    await page.getByRole("button", { name: new RegExp(`^Step ${branch}`) }).click();
    await page.getByLabel("Step name").fill(name);
    await page.getByLabel("Milestone criteria kind").selectOption("consent");
    await page.getByLabel("Milestone criteria consent purpose").fill(purpose);
  }
  await page.getByRole("button", { name: "Add a step under Email allowed" }).click();
  await page.getByRole("menuitem", { name: "Send to outputs" }).click();
  await page.getByLabel("Step name").fill("Email nudge");
  for (const [n, output] of [[1, "hook"], [2, "gone"], [3, "bad"]]) {
    await page.getByRole("button", { name: "+ add a connection" }).click();
    await page.getByLabel(`Connection ${n} output`).selectOption(output);
    await page.getByLabel(`Connection ${n} id`).fill(`email-${output}`);
  }
  await page.getByRole("button", { name: "Split the path under SMS allowed" }).click();
  await page.getByRole("menuitem", { name: "Random split (A/B)" }).click();
  await page.getByRole("button", { name: /^Step Variant B/ }).click();
  await page.getByLabel("Weight (share of users)").fill("30");
  // From the keyboard: Enter opens the menu on its first choice, Escape closes it, and a
  // choice is taken with Enter.
  await page.getByRole("button", { name: "Add a step under Everyone else" }).focus();
  await page.keyboard.press("Enter");
  await eventually("the first choice focused", async () => (await page.evaluate(() => document.activeElement?.textContent)) === "Milestone (wait for condition)");
  await page.keyboard.press("Escape");
  await eventually("the menu closed", async () => (await page.getByRole("menu").count()) === 0);
  await page.getByRole("button", { name: "Add a step under Everyone else" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("menuitem", { name: "Exit" }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: /^Step Exit/ }).waitFor();
  await page.getByRole("button", { name: "Save draft" }).click();
  await page.getByText("Saved. No problems found.").waitFor();
  const consent = (await api("GET", "/api/journeys/consent-channel")).body.definition;
  const cwait = consent.entry.steps[0];
  check(cwait.branching === "decide" && cwait.steps.length === 3, "multi-branch " + JSON.stringify(cwait));
  const [email, sms, rest] = cwait.steps;
  check(JSON.stringify(email.criteria) === JSON.stringify({ consent: "email", granted: true }) && sms.criteria.consent === "sms", "consent branches " + JSON.stringify([email.criteria, sms.criteria]));
  check(sms.branching === "random" && sms.steps.map((x) => x.weight).join() === "50,30", "random split " + JSON.stringify(sms));
  check(rest.type === "remaining" && rest.steps[0].type === "exit", "else path " + JSON.stringify(rest));
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByTestId("journey-status").filter({ hasText: "published" }).waitFor();
  await shot(page, "12a-consent-channel");
  await new Promise((resolve, reject) => analytics.track({
    userId: "dia", event: "Product Viewed", context: { consent: { categoryPreferences: { email: true, sms: false } } },
  }, (err) => (err ? reject(err) : resolve())));
  await track("eli", "Product Viewed");
  await eventually("dia on the email send", async () => (await page.getByTestId(`entered-${email.steps[0].id}`).textContent()) === "1", 60000);
  await eventually("eli on the exit path", async () => (await page.getByTestId(`entered-${rest.id}`).textContent()) === "1", 60000);
  await eventually("a delivery for dia", async () => deliveredTo("dia").length > 0, 60000);
  check(deliveredTo("eli").length === 0, "eli gave no consent and must not be sent");

  step("consent journey delivered");
  // ---- The outputs page: the 410 disabled `gone`, re-enabled here, then delivered; the 400
  // made a dead delivery on `bad`, replayed here, then delivered.
  await page.getByRole("link", { name: "Outputs" }).click();
  const goneRow = page.getByRole("row", { name: /Gone hook/ });
  await goneRow.getByRole("button", { name: "Re-enable" }).click({ timeout: 60000 });
  await eventually("gone delivered after re-enabling", async () => deliveredTo("dia", "/gone").length > 0, 60000);
  await eventually("gone counted as delivered", async () => (await page.getByTestId("delivered-gone").textContent()) === "1", 60000);
  step("gone re-enabled and delivered");
  // `bad`: its dead delivery's attempt log shows the 400; replayed alone it dies again (a
  // second attempt in the log); "Replay all dead" then sends it, and it is delivered.
  await eventually("bad counted as dead", async () => (await page.getByTestId("dead-bad").textContent()) === "1", 60000);
  const [dead] = (await api("GET", "/api/outputs/bad/deliveries?status=dead")).body.deliveries;
  const badRow = page.getByRole("row", { name: /Bad hook/ });
  await badRow.getByRole("button", { name: "Deliveries" }).click();
  const badDeliveries = page.getByRole("region", { name: "Deliveries of Bad hook" });
  await badDeliveries.getByLabel("Show deliveries that are").selectOption("dead");
  await badDeliveries.getByRole("button", { name: `Attempts of delivery ${dead.id}` }).click();
  const attempts = page.getByRole("region", { name: `Delivery ${dead.id}` }).getByRole("table", { name: "Attempts" });
  await attempts.getByRole("cell", { name: "400", exact: true }).waitFor();
  await attempts.getByText("failed for good").waitFor();
  await shot(page, "12b-delivery-attempts");
  await a11y(page, "delivery attempts");
  await badDeliveries.getByRole("button", { name: `Replay delivery ${dead.id}` }).click();
  await eventually("the replay refused again: two attempts", async () => (await attempts.getByRole("row").count()) === 3, 60000);
  await badDeliveries.getByRole("button", { name: "Replay all dead (1)" }).click();
  await badDeliveries.getByText("1 dead delivery is sent again.").waitFor();
  await eventually("bad delivered after replaying all dead", async () => deliveredTo("dia", "/bad").length > 0, 60000);
  await eventually("bad counted as delivered", async () => (await page.getByTestId("delivered-bad").textContent()) === "1", 60000);
  check((await page.getByTestId("dead-bad").textContent()) === "0", "bad still has a dead delivery");
  step("bad replayed and delivered");
  await shot(page, "12b-outputs-replayed");

  // ---- Profiles.
  await page.getByRole("link", { name: "Profiles" }).click();
  // The page must have changed before its workspace is picked: the one left behind has the same select.
  await page.getByRole("heading", { level: 1, name: "Profiles", exact: true }).waitFor();
  await page.getByLabel("Workspace").selectOption("shop");
  await page.getByLabel("User id or anonymous id").fill("ana");
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByRole("region", { name: "Events" }).getByText("Upgraded").first().waitFor();
  // Where ana is now, read from the steps' audiences: v1's send step (v1 finishes there).
  await eventually("ana's place in the journey", async () => /Send welcome/.test(await page.getByTestId("now-browser-journey").textContent()));
  await page.getByRole("table", { name: "Consent" }).or(page.getByText("No consent recorded")).first().waitFor();
  await shot(page, "11-profile");
  await a11y(page, "profiles");

  // A long history is paged: the latest 50 events, then the older ones on request.
  const history = Array.from({ length: 60 }, (_, i) => ({
    type: "track", userId: "fay", event: `Visit ${i + 1}`, messageId: `fay-${i + 1}`,
    timestamp: new Date(Date.now() - (60 - i) * 60000).toISOString(),
  }));
  const batch = await fetch(BASE + "/v1/batch", {
    method: "POST",
    headers: { authorization: "Basic " + Buffer.from(WRITE_KEY + ":").toString("base64"), "content-type": "application/json" },
    body: JSON.stringify({ batch: history }),
  });
  check(batch.ok, `fay's history was refused: ${batch.status} ${await batch.text()}`);
  await eventually("fay's 60 events stored", async () => (await api("GET", "/api/workspaces/shop/profiles/fay")).body?.event_count === 60);
  await page.getByLabel("User id or anonymous id").fill("fay");
  await page.getByRole("button", { name: "Find" }).click();
  const events = page.getByRole("region", { name: "Events" });
  await events.getByTestId("events-shown").filter({ hasText: "The latest 50 of 60" }).waitFor();
  check((await events.getByText("Visit 10", { exact: true }).count()) === 0, "an older event shown before asking");
  await events.getByRole("button", { name: "Older events" }).click();
  await events.getByTestId("events-shown").filter({ hasText: "The latest 60 of 60" }).waitFor();
  await events.getByText("Visit 1", { exact: true }).waitFor();
  await events.getByText("That is every event of this profile.").waitFor();
  check((await events.getByRole("button", { name: "Older events" }).count()) === 0, "Older events offered past the first event");
  await shot(page, "11a-profile-older-events");

  // Part of an identifier lists the profiles that contain it.
  await page.getByLabel("User id or anonymous id").fill("an");
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByRole("region", { name: "Matching profiles" }).getByRole("link", { name: "ana", exact: true }).waitFor();
  await a11y(page, "profile matches");

  await page.getByLabel("User id or anonymous id").fill("nobody");
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByText("No profile").waitFor();
  await a11y(page, "profile not found");

  // ---- A standalone audience made in the browser, with a connection to the VIP list; a
  // real client's event makes a user a member, and the size, the members and the list say so.
  step("audiences");
  await page.getByRole("link", { name: "Audiences" }).click();
  await page.getByText("No audiences yet").waitFor();
  await shot(page, "12-audiences");
  await a11y(page, "audiences");
  await page.getByRole("button", { name: "New audience" }).click();
  await page.getByLabel("Audience name").fill("Gift buyers");
  await page.getByLabel("Description").fill("Bought a gift card");
  await page.getByLabel("Audience criteria event name").fill("Gift Bought");
  await page.getByRole("button", { name: "+ add a connection" }).click();
  await page.getByLabel("Connection 1 output").selectOption("vip");
  check(await page.getByLabel("Connection 1 mode").inputValue() === "list", "a list output is connected as a list");
  await shot(page, "12-new-audience");
  await a11y(page, "new audience");
  await page.getByRole("button", { name: "Create audience" }).click();
  await page.getByRole("heading", { name: "Gift buyers", exact: true }).waitFor();
  await page.getByText("No members now.").waitFor();
  check((await page.getByTestId("audience-size").textContent()) === "0", "a new audience with no matching history has members");
  await track("gus", "Gift Bought");
  await eventually("gus joins the audience", async () => (await page.getByTestId("audience-size").textContent()) === "1", 60000);
  await page.getByRole("table", { name: "Audience members" }).getByRole("link", { name: "gus" }).waitFor();
  await eventually("gus on the VIP list", async () => JSON.stringify((await api("GET", "/api/outputs/vip/members")).body).includes('"gus"'), 60000);
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "⤓ Members as CSV" }).click()]);
  const csvText = readFileSync(await csv.path(), "utf8");
  check(csvText.startsWith("workspace,key,user_id") && csvText.includes("gus"), "members CSV " + csvText);
  await shot(page, "12c-audience");
  await a11y(page, "audience");

  // A second audience reads the first with "member of an audience", picked by name; the
  // first cannot be deleted while the second names it (the server's reason is shown).
  await page.getByRole("link", { name: "← All audiences" }).click();
  await page.getByRole("button", { name: "New audience" }).click();
  await page.getByLabel("Audience name").fill("Gift buyers again");
  await page.getByLabel("Audience criteria kind", { exact: true }).selectOption("member_of");
  await page.getByLabel("Audience criteria audience kind", { exact: true }).selectOption("audience");
  await page.getByLabel("Audience criteria audience", { exact: true }).selectOption("gift-buyers");
  await page.getByRole("button", { name: "Create audience" }).click();
  await page.getByRole("heading", { name: "Gift buyers again" }).waitFor();
  await eventually("the second audience holds gus", async () => (await page.getByTestId("audience-size").textContent()) === "1", 60000);
  await page.getByRole("link", { name: "← All audiences" }).click();
  await eventually("both sizes listed", async () => (await page.getByTestId("size-gift-buyers").textContent()) === "1" && (await page.getByTestId("size-gift-buyers-again").textContent()) === "1");
  await shot(page, "12d-audiences-list");
  await page.getByRole("link", { name: "Gift buyers", exact: true }).click();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("alert").filter({ hasText: "The audience was not deleted" }).filter({ hasText: "audience_in_use" }).waitFor();
  await shot(page, "12e-audience-delete-refused");
  // Edited in place: a new name is taken at once.
  await page.getByRole("button", { name: "Edit", exact: true }).click();
  await page.getByLabel("Audience name").fill("Gift card buyers");
  await page.getByRole("button", { name: "Save audience" }).click();
  await page.getByRole("heading", { name: "Gift card buyers" }).waitFor();
  check((await api("GET", "/api/audiences/gift-buyers")).body.name === "Gift card buyers", "the rename was not saved");
  // gus's profile lists both audiences; then the second is deleted, and the first can be.
  await page.getByRole("table", { name: "Audience members" }).getByRole("link", { name: "gus" }).click();
  const gusAudiences = page.getByRole("region", { name: "Audiences" });
  await gusAudiences.getByRole("link", { name: "Gift card buyers" }).waitFor();
  await gusAudiences.getByRole("link", { name: "Gift buyers again" }).waitFor();
  await shot(page, "12f-profile-audiences");
  await gusAudiences.getByRole("link", { name: "Gift buyers again" }).click();
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await page.getByRole("heading", { name: "Audiences", exact: true }).waitFor();
  await eventually("the second audience gone", async () => (await page.getByRole("link", { name: "Gift buyers again" }).count()) === 0);
  check((await api("GET", "/api/audiences/gift-buyers-again")).status === 404, "the deleted audience is still served");

  // ---- A computed attribute defined in the browser: filled from history at once, so gus's
  // profile shows its value; then removed.
  step("attributes");
  await page.getByRole("link", { name: "Attributes" }).click();
  await page.getByRole("heading", { level: 1, name: "Computed attributes", exact: true }).waitFor();
  await page.getByLabel("Workspace").selectOption("shop");
  await page.getByText("No computed attributes in this workspace").waitFor();
  await page.getByRole("button", { name: "New attribute" }).click();
  await page.getByLabel("Attribute name").fill("gift_cards");
  await page.getByLabel("Event", { exact: true }).fill("Gift Bought");
  await page.getByLabel("Window (optional)").fill("7x");
  await page.getByText("A duration is a number and a unit").waitFor();
  check(await page.getByRole("button", { name: "Define attribute" }).isDisabled(), "a malformed window can be sent");
  await page.getByLabel("Window (optional)").fill("30d");
  await page.getByRole("button", { name: "Define attribute" }).click();
  await page.getByRole("table", { name: "Computed attributes" }).getByText("count over Gift Bought in the last 30d").waitFor();
  await shot(page, "12g-attributes");
  await a11y(page, "attributes");
  await page.getByRole("link", { name: "Profiles" }).click();
  // The page must have changed before its workspace is picked: the one left behind has the same select.
  await page.getByRole("heading", { level: 1, name: "Profiles", exact: true }).waitFor();
  await page.getByLabel("Workspace").selectOption("shop");
  await page.getByLabel("User id or anonymous id").fill("gus");
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByRole("table", { name: "Computed attributes" }).getByRole("row").filter({ hasText: "gift_cards" }).getByRole("cell", { name: "1", exact: true }).waitFor();
  await shot(page, "12h-profile-attributes");
  await page.getByRole("link", { name: "Attributes" }).click();
  await page.getByRole("heading", { level: 1, name: "Computed attributes", exact: true }).waitFor();
  await page.getByLabel("Workspace").selectOption("shop");
  await page.getByRole("button", { name: "Delete gift_cards" }).click();
  await page.getByText("No computed attributes in this workspace").waitFor();

  // ---- A workspace token sees its workspace only.
  const blog = await api("POST", "/api/journeys", {
    id: "blog-readers", name: "Blog readers", inputs: ["blog/web"],
    entry: { id: "entry", name: "Read a post", criteria: { event: "Post Read" }, steps: [] },
  }, WS_TOKEN);
  check(blog.status === 201, "blog journey " + JSON.stringify(blog));
  const other = await newPage(browser);
  await signIn(other, WS_TOKEN);
  await other.getByRole("link", { name: "Blog readers" }).waitFor();
  check((await other.getByRole("link", { name: "Browser journey" }).count()) === 0, "a workspace token saw another workspace's journey");
  await other.getByText("Audience credits are an account matter").waitFor();
  await other.goto(BASE + "/journeys/browser-journey");
  await other.getByText("Could not load journey browser-journey").waitFor();
  await shot(other, "13-workspace-token");
  // The account's audience is not the blog workspace's.
  await other.getByRole("link", { name: "Audiences" }).click();
  await other.getByText("No audiences yet").waitFor();
  await other.goto(BASE + "/audiences/gift-buyers");
  await other.getByText("There is no audience").waitFor();
  await a11y(other, "workspace token");
  failures.push(...other.errors.filter((e) => !/40[34]/.test(e)));

  failures.push(...page.errors.filter((e) => !/40[039]|422/.test(e)));
} catch (e) {
  if (page) await shot(page, "failure").catch(() => {});
  failures.push(e.stack ?? String(e));
} finally {
  await browser.close();
  await analytics.closeAndFlush({ timeout: 2000 }).catch(() => {});
  // Waymark keeps its connections to the receiver alive; close them rather than wait.
  receiver.closeAllConnections();
  receiver.close();
}
if (failures.length) {
  console.error(failures.join("\n\n"));
  console.log("ui e2e: 0 passed, 1 failed");
  process.exit(1);
}
console.log(`ui e2e: main flow passed (${received.length} webhook deliveries received)`);
process.exit(0);
