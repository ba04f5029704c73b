// What each step of an unsaved draft would hold, as criteria to count: the server's journey
// estimate (docs/estimator.md) reads the saved version only, so while the canvas has edits
// the UI asks `POST /api/estimate` for each step's path instead and scales the answers the
// same way. The rules are the server's (`waymark-runtime/src/estimate/paths.rs`):
// - a step's audience is the conjunction of the guards from the entry down to it; a
//   milestone's guard is its criteria, any other step's holds for everyone;
// - under `wait`, `decide` and `live` branching a child needs its guard and none of the
//   guards left of it (leftmost wins); under `all` its own guard only;
// - the remaining-user path needs none of its siblings' guards;
// - under `random` a child gets its parent's audience times weight / Σ weights (nothing when
//   no path has a weight), and every step below the entry is scaled by 1 − control % / 100;
// - a milestone's parts (its top-level conditions) are each conjoined with its parent's path.
import type { AnyStep, Criteria, Journey, Step } from "../journey/model";
import type { Estimate } from "./model";
import { isComplete, topLevelCriteria } from "./model";

export interface StepQuery {
  step: string;
  /** Users meeting these reach the step (before `factor`). */
  criteria: Criteria;
  /** The share of them the step gets (random weights and the control group). */
  factor: number;
  /** A milestone's top-level conditions, each conjoined with its path. */
  parts?: Criteria[];
}

function conjoin(guards: Criteria[]): Criteria {
  if (guards.length === 0) return { everyone: true };
  if (guards.length === 1) return guards[0]!;
  return { all: guards };
}

const EVERYONE: Criteria = { everyone: true };
const guardOf = (s: Step): Criteria => (s.type === "milestone" && s.criteria ? s.criteria : EVERYONE);

/** Every step's criteria and share, entry first, depth first (as the journey estimate lists them). */
export function stepQueries(j: Journey): StepQuery[] {
  const out: StepQuery[] = [];
  const control = j.settings?.control_group?.percent ?? 0;
  const visit = (parent: AnyStep, path: Criteria[], share: number) => {
    const kids = parent.steps ?? [];
    const branching = parent.branching ?? "wait";
    const total = kids.reduce((s, k) => s + (k.weight ?? 0), 0);
    const guards = kids.map(guardOf);
    kids.forEach((k, i) => {
      let own: Criteria[];
      let kidShare = share;
      if (branching === "random") {
        own = [guards[i]!];
        kidShare = total > 0 ? (share * (k.weight ?? 0)) / total : 0;
      } else if (k.type === "remaining") {
        own = [{ not: { any: kids.filter((x) => x.type !== "remaining").map(guardOf) } }];
      } else if (branching === "all") {
        own = [guards[i]!];
      } else {
        own = [...guards.slice(0, i).map((g) => ({ not: g })), guards[i]!];
      }
      const mine = [...path, ...own];
      const parts = k.type === "milestone" ? topLevelCriteria(k.criteria).map((p) => conjoin([...path, p])) : undefined;
      out.push({ step: k.id, criteria: conjoin(mine), factor: kidShare, ...(parts ? { parts } : {}) });
      visit(k, mine, kidShare);
    });
  };
  const entry = j.entry.criteria ? [j.entry.criteria] : [];
  out.push({ step: "entry", criteria: conjoin(entry), factor: 1 });
  visit(j.entry, entry, 1 - control / 100);
  return out;
}

/** Whether every condition of a query is filled in (an event still unnamed is not sent). */
export function ready(q: StepQuery): boolean {
  return isComplete(q.criteria);
}

/** An estimate scaled by a share: figure and bounds scale; `~`, errors and counts do not. */
export function scale(e: Estimate, factor: number): Estimate {
  if (factor === 1 || !("estimate" in e)) return e;
  const f = (v: number) => Math.round(v * factor);
  return { estimate: f(e.estimate), low: f(e.low), high: f(e.high) };
}
