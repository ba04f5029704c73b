// Pure operations on a journey's step tree. Every edit returns a new journey (React state is
// immutable) and keeps fields the UI does not know.
import type { AnyStep, Branching, Journey, Step, StepType } from "./model";

export interface Located {
  step: AnyStep;
  parent: AnyStep | null;
  depth: number;
  /** JSON path as the server's problems name it: `$.entry.steps[0].steps[1]`. */
  path: string;
}

/** Every step, entry first, depth first, children left to right. */
export function walk(j: Journey): Located[] {
  const out: Located[] = [];
  const visit = (step: AnyStep, parent: AnyStep | null, depth: number, path: string) => {
    out.push({ step, parent, depth, path });
    (step.steps ?? []).forEach((c, i) => visit(c, step, depth + 1, `${path}.steps[${i}]`));
  };
  visit(j.entry, null, 0, "$.entry");
  return out;
}

export function findStep(j: Journey, id: string): Located | undefined {
  return walk(j).find((l) => l.step.id === id);
}

function mapStep(step: AnyStep, id: string, f: (s: AnyStep) => AnyStep): AnyStep {
  if (step.id === id) return f(step);
  if (!step.steps) return step;
  return { ...step, steps: step.steps.map((c) => mapStep(c, id, f) as Step) };
}

/** Replaces the step `id` with `f(step)`. */
export function updateStep(j: Journey, id: string, f: (s: AnyStep) => AnyStep): Journey {
  return { ...j, entry: mapStep(j.entry, id, f) as Journey["entry"] };
}

/** A lower-case slug made of letters, digits and dashes. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "step";
}

/** An id not yet used in the journey, made from `base`. */
export function freshId(j: Journey, base: string): string {
  const used = new Set(walk(j).map((l) => l.step.id));
  const b = slug(base);
  if (!used.has(b)) return b;
  for (let i = 2; ; i++) if (!used.has(`${b}-${i}`)) return `${b}-${i}`;
}

const DEFAULT_NAMES: Record<StepType, string> = {
  milestone: "Milestone",
  remaining: "Remaining users",
  wait: "Wait 1 day",
  send: "Send",
  exit: "Exit",
};

/** A new step of a kind, with what it needs to be valid. */
export function newStep(j: Journey, type: StepType, name?: string): Step {
  const n = name ?? DEFAULT_NAMES[type];
  const s: Step = { id: freshId(j, n), name: n, type };
  if (type === "milestone") s.criteria = { event: "" };
  if (type === "wait") s.wait = { duration: "1d" };
  if (type === "send") s.connections = [];
  return s;
}

/**
 * Continues the path under `parentId` with `child`. A `remaining` child stays rightmost,
 * as SPEC §6 requires, so the new step goes before it.
 */
export function addChild(j: Journey, parentId: string, child: Step): Journey {
  return updateStep(j, parentId, (p) => {
    const steps = [...(p.steps ?? [])];
    const rem = steps.findIndex((s) => s.type === "remaining");
    if (rem >= 0) steps.splice(rem, 0, child);
    else steps.push(child);
    return { ...p, steps };
  });
}

/** Turns the leaf `id` into a split. */
export function split(j: Journey, id: string, kind: "truefalse" | "multi" | "random"): Journey {
  const a = (name: string): Step => ({ ...newStep(j, "milestone", name), id: freshId(j, `${id}-${slug(name)}`) });
  return updateStep(j, id, (p) => {
    let branching: Branching;
    let steps: Step[];
    if (kind === "truefalse") {
      branching = "decide";
      steps = [{ ...a("True") }, { id: freshId(j, `${id}-false`), name: "False", type: "remaining" }];
    } else if (kind === "multi") {
      branching = "decide";
      const b1 = a("Branch 1");
      const b2 = { ...a("Branch 2"), id: freshId(j, `${id}-branch-2`) };
      steps = [b1, b2, { id: freshId(j, `${id}-else`), name: "Everyone else", type: "remaining" }];
    } else {
      branching = "random";
      steps = [
        { id: freshId(j, `${id}-variant-a`), name: "Variant A", type: "send", weight: 50, connections: [] },
        { id: freshId(j, `${id}-variant-b`), name: "Variant B", type: "send", weight: 50, connections: [] },
      ];
    }
    return { ...p, branching, steps: [...(p.steps ?? []), ...steps] };
  });
}

/** Removes the step `id` and everything under it (never the entry). */
export function removeStep(j: Journey, id: string): Journey {
  const prune = (s: AnyStep): AnyStep =>
    s.steps ? { ...s, steps: s.steps.filter((c) => c.id !== id).map((c) => prune(c) as Step) } : s;
  return { ...j, entry: prune(j.entry) as Journey["entry"] };
}

/**
 * Steps as Segment counts them (SPEC §9): the entry 1; a milestone under `wait` or `live`
 * branching 1; a true/false split 1 in all; any other `decide`, `all` or `random` split 1
 * per child; a send 1; waits, exits and a wait's timeout path 0.
 */
export function countSteps(j: Journey): number {
  let n = 1;
  for (const { step } of walk(j)) {
    const kids = step.steps ?? [];
    if (kids.length === 0) continue;
    const b = step.branching ?? "wait";
    if (b === "decide" || b === "all" || b === "random") {
      const trueFalse =
        b === "decide" && kids.length === 2 && kids[0]?.type === "milestone" && kids[1]?.type === "remaining";
      n += trueFalse ? 1 : kids.length;
      n += kids.filter((k) => k.type === "send").length;
    } else {
      n += kids.filter((k) => k.type === "milestone" || k.type === "send").length;
    }
  }
  return n;
}

/** The step a problem's JSON path points into (the deepest `steps[i]` it names), or null for the journey itself. */
export function stepOfPath(j: Journey, path: string): string | null {
  if (!path.startsWith("$.entry")) return null;
  let cur: AnyStep = j.entry;
  const re = /\.steps\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    const next: Step | undefined = cur.steps?.[Number(m[1])];
    if (!next) break;
    cur = next;
  }
  return cur.id;
}

/**
 * An empty journey over some inputs: users enter on each `event`, or, without one, every
 * profile enters when it is first seen (SPEC §6).
 */
export function blankJourney(id: string, name: string, inputs: string[], event?: string): Journey {
  const entry: Journey["entry"] = event
    ? { id: "entry", name: `On ${event}`, criteria: { event }, on: "event", steps: [] }
    : { id: "entry", name: "Entry", steps: [] };
  return { id, name, inputs, entry, settings: {} };
}

const DURATION_RE = /^\d+[smhdw]$/;

/** A problem found in the browser before the server sees the journey. */
export interface LocalProblem {
  /** The step it concerns, or null for the journey. */
  step: string | null;
  message: string;
}

/**
 * The limits and formats checked as the user types (SPEC §9 limits: journey name 73, step
 * name 170, 20 steps as Segment counts them; durations), so that saving is not even tried
 * while they are broken. The server checks everything again.
 */
export function localProblems(j: Journey, limits: { journeyName: number; stepName: number; steps: number }): LocalProblem[] {
  const out: LocalProblem[] = [];
  if (j.name.trim() === "") out.push({ step: null, message: "The journey needs a name" });
  if (j.name.length > limits.journeyName) out.push({ step: null, message: `Journey names are at most ${limits.journeyName} characters` });
  const n = countSteps(j);
  if (n > limits.steps) out.push({ step: null, message: `${n} steps: a journey has at most ${limits.steps} (as Segment counts them)` });
  for (const { step } of walk(j)) {
    if (step.name.trim() === "") out.push({ step: step.id, message: "A step needs a name" });
    if (step.name.length > limits.stepName) out.push({ step: step.id, message: `Step names are at most ${limits.stepName} characters` });
    const w = (step as Step).wait;
    if (w && "duration" in w && !DURATION_RE.test(w.duration)) out.push({ step: step.id, message: "The wait needs a duration such as 30m, 1d or 2w" });
    if (step.timeout !== undefined && !DURATION_RE.test(step.timeout)) out.push({ step: step.id, message: "The timeout needs a duration such as 3d" });
    if ((step.branching ?? "wait") === "wait" && step.timeout === undefined && (step.steps ?? []).some((c) => c.type === "remaining")) {
      out.push({ step: step.id, message: "Users wait here until a path's condition holds: give this step a timeout after which the remaining-user path takes them, or choose another way to move on" });
    }
  }
  return out;
}
