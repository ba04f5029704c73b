// Shared helpers of the browser tests: Debian's Chromium driven by playwright-core (the
// test tool's own browser download cannot work here), screenshots, and axe-core. Playwright
// gives every launch a fresh temporary profile of its own.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export const BASE = process.env.WAYMARK_URL ?? "http://127.0.0.1:8080";
export const ARTIFACTS = process.env.UI_ARTIFACTS ?? "artifacts";
export const TOKEN = process.env.WAYMARK_TOKEN ?? "demo_admin_token";

export async function launch() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  return browser;
}

/** A page that fails the test on any uncaught page error or console error. */
export async function newPage(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) page.errors.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(45000);
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

export async function signIn(page, token = TOKEN) {
  await page.goto(BASE + "/");
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Journeys" }).waitFor();
}

/** axe-core's critical violations on the current page (none expected). */
export async function axeCritical(page) {
  const src = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  await page.addScriptTag({ content: src });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations.filter((v) => v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
}

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

/** Polls `f` until it returns a truthy value. */
export async function eventually(what, f, timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/** Calls the admin API with a token; answers { status, body }. */
export async function api(method, path, body, token = TOKEN) {
  const r = await fetch(BASE + path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** Elapsed seconds since `t0`, printed with a phase's name, so a slow phase shows in the log. */
export function stepper() {
  const t0 = Date.now();
  return (what) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);
}

/** The canvas's Fit control: shows the whole tree at once (no animation). */
export async function fitView(page) {
  await page.getByRole("button", { name: "Fit View" }).click();
}

/** Fits the view when `locator` lies outside the canvas, so that it can be clicked. */
export async function onCanvas(page, locator) {
  const canvas = await page.getByLabel("Journey canvas").boundingBox();
  const box = await locator.boundingBox();
  const inside = box && canvas && box.x >= canvas.x && box.y >= canvas.y && box.x + box.width <= canvas.x + canvas.width && box.y + box.height <= canvas.y + canvas.height;
  if (!inside) await fitView(page);
  return locator;
}
