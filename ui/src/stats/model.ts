// The statistics API's figures (SPEC §11) as the statistics view shows them: rates with
// their Wilson 95 % interval, uplift against the control group with its Newcombe interval,
// funnels along a path of the tree, and entries over time.
import type { components } from "../api/schema";
import type { AnyStep, Journey } from "../journey/model";
import { walk } from "../journey/tree";

type Schemas = components["schemas"];
/** A conversion rate with its Wilson 95 % interval (shares, 0..1). */
export type Rate = Schemas["Rate"];
/** The difference of two rates (journey − control) with its Newcombe 95 % interval, and their ratio. */
export type Uplift = Schemas["Uplift"];
/** Goal conversion of the journey's entries and of the control group's, and the uplift. */
export type Conversion = Schemas["Conversion"];

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;
/** A signed number with a real minus sign, as people read it. */
const signed = (x: number, digits = 1) => {
  const s = Math.abs(x).toFixed(digits);
  if (Number(s) === 0) return (0).toFixed(digits);
  return `${x < 0 ? "−" : "+"}${s}`;
};

/** "12.0 % (10.0–15.0 %)"; "—" when there is no rate (nobody entered). */
export function formatRate(r: Rate | null | undefined): string {
  if (!r) return "—";
  return `${pct(r.rate)} (${(r.low * 100).toFixed(1)}–${pct(r.high)})`;
}

/** "+3.2 pp (−0.5 to +6.9)": the difference in percentage points with its interval. */
export function formatUplift(u: Uplift | null | undefined): string {
  if (!u) return "—";
  return `${signed(u.difference * 100)} pp (${signed(u.low * 100)} to ${signed(u.high * 100)})`;
}

/** "×1.27": how many times the control's rate; empty when the control converted nobody. */
export function formatRatio(u: Uplift | null | undefined): string {
  if (!u || u.ratio === null || u.ratio === undefined || !Number.isFinite(u.ratio)) return "";
  return `×${u.ratio.toFixed(2)}`;
}

/** Whether the interval says the journey beats, trails, or cannot yet be told from control. */
export function verdict(u: Uplift | null | undefined): "better" | "worse" | "unclear" | "none" {
  if (!u) return "none";
  if (u.low > 0) return "better";
  if (u.high < 0) return "worse";
  return "unclear";
}

export const VERDICT_TEXT: Record<ReturnType<typeof verdict>, string> = {
  better: "better than control (the interval is above 0)",
  worse: "worse than control (the interval is below 0)",
  unclear: "not yet distinguishable from control (the interval contains 0)",
  none: "no control group to compare with yet",
};

/** A share of the previous figure: "42.0 %", "—" when unknown. */
export function formatShare(x: number | null | undefined): string {
  return x === null || x === undefined ? "—" : pct(x);
}

/** Every path from the entry to a leaf, left to right: the funnels one can pick. */
export function leafPaths(j: Journey): AnyStep[][] {
  const out: AnyStep[][] = [];
  const visit = (s: AnyStep, path: AnyStep[]) => {
    const p = [...path, s];
    if ((s.steps ?? []).length === 0) out.push(p);
    else for (const c of s.steps ?? []) visit(c, p);
  };
  visit(j.entry, []);
  return out;
}

/** The first leaf path through `step` (a step clicked on the canvas picks its funnel). */
export function pathThrough(j: Journey, step: string): AnyStep[] | undefined {
  return leafPaths(j).find((p) => p.some((s) => s.id === step));
}

/** A path's name: its steps' names joined by arrows. */
export function pathName(p: AnyStep[]): string {
  return p.map((s) => s.name || s.id).join(" → ");
}

/** Step names by id, for figures keyed by step. */
export function stepNames(j: Journey): Record<string, string> {
  return Object.fromEntries(walk(j).map((l) => [l.step.id, l.step.name || l.step.id]));
}

export interface SeriesPoint { at: string; entered: number; control: number }

/** A line chart's geometry: each series' points scaled into `width` × `height` (as polyline
 * text and as dots, so a single bucket still shows), and the y maximum. */
export function chartLines(series: SeriesPoint[], width: number, height: number): {
  entered: string; control: string; max: number; dots: { x: number; entered: number; control: number }[];
} {
  const max = Math.max(1, ...series.map((p) => Math.max(p.entered, p.control)));
  const x = (i: number) => (series.length <= 1 ? width / 2 : (i * width) / (series.length - 1));
  const y = (v: number) => height - (v / max) * height;
  const line = (f: (p: SeriesPoint) => number) => series.map((p, i) => `${x(i).toFixed(1)},${y(f(p)).toFixed(1)}`).join(" ");
  const dots = series.map((p, i) => ({ x: x(i), entered: y(p.entered), control: y(p.control) }));
  return { entered: line((p) => p.entered), control: line((p) => p.control), max, dots };
}

/** A bucket's start as a short label: the hour for hourly buckets, the date for daily ones (UTC). */
export function bucketLabel(at: string, bucket: "hour" | "day"): string {
  const d = new Date(at);
  const iso = d.toISOString();
  return bucket === "day" ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 13)}h`;
}

/** Delivery counts in a fixed order, zeros kept, so rows line up. */
export const DELIVERY_STATUSES = ["delivered", "pending", "failed", "dead"] as const;
export function deliveryCounts(d: Record<string, number> | undefined): Record<(typeof DELIVERY_STATUSES)[number], number> {
  return { delivered: d?.delivered ?? 0, pending: d?.pending ?? 0, failed: d?.failed ?? 0, dead: d?.dead ?? 0 };
}
