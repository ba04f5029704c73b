import { describe, expect, it } from "vitest";
import type { Journey } from "../journey/model";
import { bucketLabel, chartLines, deliveryCounts, formatRate, formatRatio, formatShare, formatUplift, leafPaths, pathName, pathThrough, verdict } from "./model";

describe("rates and uplift in words", () => {
  it("a rate shows its Wilson interval; no rate is a dash", () => {
    expect(formatRate({ rate: 0.12, low: 0.1, high: 0.15 })).toBe("12.0 % (10.0–15.0 %)");
    expect(formatRate(null)).toBe("—");
  });
  it("uplift is in percentage points with a signed interval and its ratio", () => {
    const u = { difference: 0.032, low: -0.005, high: 0.069, ratio: 1.27 };
    expect(formatUplift(u)).toBe("+3.2 pp (−0.5 to +6.9)");
    expect(formatRatio(u)).toBe("×1.27");
    expect(formatRatio({ ...u, ratio: null })).toBe("");
    expect(formatUplift({ difference: -0.0001, low: -0.02, high: 0.01, ratio: null })).toBe("0.0 pp (−2.0 to +1.0)");
  });
  it("the verdict follows the interval, not the point", () => {
    expect(verdict({ difference: 0.03, low: 0.01, high: 0.05, ratio: 2 })).toBe("better");
    expect(verdict({ difference: 0.03, low: -0.01, high: 0.07, ratio: 2 })).toBe("unclear");
    expect(verdict({ difference: -0.03, low: -0.05, high: -0.01, ratio: 0.5 })).toBe("worse");
    expect(verdict(null)).toBe("none");
  });
  it("shares and delivery counts", () => {
    expect(formatShare(0.5)).toBe("50.0 %");
    expect(formatShare(null)).toBe("—");
    expect(deliveryCounts({ delivered: 3, dead: 1 })).toEqual({ delivered: 3, pending: 0, failed: 0, dead: 1 });
  });
});

const j: Journey = {
  id: "j", name: "J",
  entry: { id: "entry", name: "Start", steps: [
    { id: "w", name: "Wait", type: "wait", steps: [
      { id: "yes", name: "Bought", type: "milestone", criteria: { event: "B" } },
      { id: "no", name: "Rest", type: "remaining", steps: [{ id: "mail", name: "Mail", type: "send" }] },
    ] },
  ] },
};

describe("funnel paths along the tree", () => {
  it("every leaf path, left to right, named by its steps", () => {
    expect(leafPaths(j).map(pathName)).toEqual(["Start → Wait → Bought", "Start → Wait → Rest → Mail"]);
  });
  it("a step picks the first path through it", () => {
    expect(pathThrough(j, "no")!.map((s) => s.id)).toEqual(["entry", "w", "no", "mail"]);
    expect(pathThrough(j, "w")!.map((s) => s.id)).toEqual(["entry", "w", "yes"]);
    expect(pathThrough(j, "zzz")).toBeUndefined();
  });
});

describe("entries over time", () => {
  it("lines scale into the box, the tallest point at the top", () => {
    const l = chartLines([{ at: "2026-12-04T10:00:00Z", entered: 0, control: 0 }, { at: "2026-12-04T11:00:00Z", entered: 4, control: 1 }], 100, 40);
    expect(l).toMatchObject({ entered: "0.0,40.0 100.0,0.0", control: "0.0,40.0 100.0,30.0", max: 4 });
    expect(l.dots).toEqual([{ x: 0, entered: 40, control: 40 }, { x: 100, entered: 0, control: 30 }]);
  });
  it("bucket labels are UTC", () => {
    expect(bucketLabel("2026-12-04T10:00:00Z", "hour")).toBe("12-04 10h");
    expect(bucketLabel("2026-12-04T00:00:00Z", "day")).toBe("12-04");
  });
});
