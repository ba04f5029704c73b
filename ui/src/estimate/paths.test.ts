import { describe, expect, it } from "vitest";
import type { Criteria, Journey } from "../journey/model";
import { scale, stepQueries } from "./paths";

const A: Criteria = { event: "A" };
const B: Criteria = { event: "B" };
const PRO: Criteria = { trait: "plan", op: "eq", value: "pro" };
const M1: Criteria = { all: [B, PRO] };
const C: Criteria = { event: "C" };
const E: Criteria = { everyone: true };
const journey: Journey = {
  id: "j", name: "J",
  settings: { control_group: { percent: 10 } },
  entry: {
    id: "entry", name: "Entry", criteria: A,
    steps: [
      { id: "w", name: "Wait", type: "wait", wait: { duration: "1d" }, steps: [
        { id: "m1", name: "Bought", type: "milestone", criteria: M1 },
        { id: "m2", name: "Viewed", type: "milestone", criteria: C },
        { id: "rest", name: "Rest", type: "remaining", steps: [
          { id: "ab", name: "A/B", type: "send", branching: "random", steps: [
            { id: "a", name: "A", type: "send", weight: 3 },
            { id: "b", name: "B", type: "send", weight: 1 },
          ] },
        ] },
      ] },
    ],
  },
};

describe("an unsaved draft's step queries (the server's path rules)", () => {
  const q = Object.fromEntries(stepQueries(journey).map((x) => [x.step, x]));
  it("follow the server's order: entry first, depth first", () => {
    expect(stepQueries(journey).map((x) => x.step)).toEqual(["entry", "w", "m1", "m2", "rest", "ab", "a", "b"]);
  });
  it("the entry is its criteria; a wait passes; every step below the entry loses the control group", () => {
    expect(q.entry).toMatchObject({ criteria: A, factor: 1 });
    expect(q.w).toMatchObject({ criteria: { all: [A, E] }, factor: 0.9 });
  });
  it("a milestone needs its guard and none left of it; its parts are each conjoined with its parent's path", () => {
    expect(q.m1!.criteria).toEqual({ all: [A, E, M1] });
    expect(q.m2!.criteria).toEqual({ all: [A, E, { not: M1 }, C] });
    expect(q.m1!.parts).toEqual([{ all: [A, E, B] }, { all: [A, E, PRO] }]);
  });
  it("the remaining path needs none of its siblings; random paths share by weight", () => {
    expect(q.rest!.criteria).toEqual({ all: [A, E, { not: { any: [M1, C] } }] });
    expect(q.a!.factor).toBeCloseTo(0.9 * 0.75);
    expect(q.b!.factor).toBeCloseTo(0.9 * 0.25);
  });
  it("scaling rounds a figure and its bounds, never `~` or an error", () => {
    expect(scale({ estimate: 101, low: 95, high: 107 }, 0.5)).toEqual({ estimate: 51, low: 48, high: 54 });
    expect(scale({ approximate: true }, 0.5)).toEqual({ approximate: true });
  });
});
