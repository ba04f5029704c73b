// The estimator's answers (SPEC §10, docs/estimator.md) as the UI shows them. Every estimate
// has one shape, told apart by key: a figure with bounds, `~` (too few sampled members for a
// figure: small, not empty), an error with its reason, or a running step's real count.
import type { components } from "../api/schema";
import type { Criteria } from "../journey/model";

export type Estimate = components["schemas"]["Estimate"];
export type JourneyEstimate = components["schemas"]["JourneyEstimate"];
export type EstimateRequest = components["schemas"]["EstimateRequest"];
export type Preview = components["schemas"]["Preview"];

/** What a user sees for one estimate: the short text, and the sentence behind it. */
export interface ShownEstimate {
  kind: "figure" | "approximate" | "error" | "count";
  /** The text on the page: "≈ 12,300 (11,900–12,700)", "12,300", "~", "⚠". */
  text: string;
  /** The longer explanation, for a tooltip and screen readers. */
  title: string;
  /** The error's stable code, when it is one. */
  code?: string;
}

const n = (x: number) => x.toLocaleString("en-US");

/** One estimate in words. An exact figure (the sample holds everyone) shows no bounds. */
export function showEstimate(e: Estimate): ShownEstimate {
  if ("count" in e) return { kind: "count", text: n(e.count), title: `${n(e.count)} users in the audience now (real count)` };
  if ("approximate" in e) {
    return { kind: "approximate", text: "~", title: "Too few sampled users for a figure: the audience is small, not empty" };
  }
  if ("error" in e) return { kind: "error", text: "⚠", title: `Cannot estimate: ${e.error.message}`, code: e.error.code };
  if (e.low === e.high) return { kind: "figure", text: n(e.estimate), title: `${n(e.estimate)} users (exact: the sample holds every profile)` };
  return {
    kind: "figure",
    text: `≈ ${n(e.estimate)} (${n(e.low)}–${n(e.high)})`,
    title: `About ${n(e.estimate)} users; 95 % interval ${n(e.low)} to ${n(e.high)}`,
  };
}

/**
 * Estimates of several workspaces added into one, as the server sums a journey's: figures
 * and bounds add; an error wins over `~`, `~` over a figure. Undefined for none.
 */
export function sumEstimates(list: Estimate[]): Estimate | undefined {
  if (list.length === 0) return undefined;
  const err = list.find((e) => "error" in e);
  if (err) return err;
  if (list.some((e) => "approximate" in e)) return { approximate: true };
  if (list.every((e) => "count" in e)) return { count: list.reduce((s, e) => s + ("count" in e ? e.count : 0), 0) };
  let estimate = 0, low = 0, high = 0;
  for (const e of list) {
    if ("count" in e) { estimate += e.count; low += e.count; high += e.count; }
    else if ("estimate" in e) { estimate += e.estimate; low += e.low; high += e.high; }
  }
  return { estimate, low, high };
}

/** Where a live count is taken: one workspace and the inputs (bare ids) whose events count. */
export interface EstimateScope {
  workspace: string;
  inputs: string[];
}

/**
 * The workspaces a journey or audience counts, from its `workspace/input` references: each
 * referenced workspace with its inputs; every known workspace (all inputs) when none is given.
 */
export function scopesOf(inputs: string[] | undefined, workspaces: string[]): EstimateScope[] {
  const by = new Map<string, string[]>();
  for (const ref of inputs ?? []) {
    const slash = ref.indexOf("/");
    if (slash < 0) continue;
    const ws = ref.slice(0, slash);
    by.set(ws, [...(by.get(ws) ?? []), ref.slice(slash + 1)]);
  }
  if (by.size === 0) return workspaces.map((workspace) => ({ workspace, inputs: [] }));
  return [...by].map(([workspace, ids]) => ({ workspace, inputs: ids }));
}

/** The parts a milestone is estimated by: the items of a top-level `all`, else the criteria itself. */
export function topLevelCriteria(c: Criteria | undefined): Criteria[] {
  if (!c) return [];
  if ("all" in c) return c.all;
  return [c];
}

/** Criteria worth sending: an event condition still being typed (no name yet) is not. */
export function isComplete(c: Criteria): boolean {
  if ("all" in c) return c.all.every(isComplete);
  if ("any" in c) return c.any.every(isComplete);
  if ("not" in c) return isComplete(c.not);
  if ("event" in c) return c.event.trim() !== "";
  if ("trait" in c) return c.trait.trim() !== "";
  if ("attribute" in c) return c.attribute.trim() !== "";
  if ("consent" in c) return c.consent.trim() !== "";
  return true;
}

/** A journey estimate's figures by step id: its size and, for milestones, one per top-level criterion. */
export function byStep(j: JourneyEstimate | undefined): Map<string, { size: Estimate; criteria?: Estimate[] }> {
  const m = new Map<string, { size: Estimate; criteria?: Estimate[] }>();
  for (const s of j?.steps ?? []) m.set(s.step, { size: s.size });
  for (const ms of j?.milestones ?? []) {
    const cur = m.get(ms.step);
    if (cur) cur.criteria = ms.criteria;
  }
  return m;
}

/** A criterion named in a few words, to label its own estimate. */
export function criterionLabel(c: Criteria): string {
  if ("all" in c) return `all of ${c.all.length} conditions`;
  if ("any" in c) return `any of ${c.any.length} conditions`;
  if ("not" in c) return `not ${criterionLabel(c.not)}`;
  if ("everyone" in c) return "everyone";
  if ("event" in c) return `event ${c.event || "(unnamed)"}`;
  if ("trait" in c) return `trait ${c.trait || "(unnamed)"}`;
  if ("attribute" in c) return `attribute ${c.attribute || "(unnamed)"}`;
  if ("consent" in c) return `consent ${c.consent || "(unnamed)"}`;
  if ("member_of" in c) return "member of";
  if ("input" in c) return `input ${c.input.join(", ")}`;
  return "condition";
}
