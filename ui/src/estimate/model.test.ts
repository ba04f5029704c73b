import { describe, expect, it } from "vitest";
import { byStep, isComplete, scopesOf, showEstimate, sumEstimates, topLevelCriteria } from "./model";

describe("an estimate in words", () => {
  it("a figure shows its bounds, an exact one only the number", () => {
    expect(showEstimate({ estimate: 12300, low: 11900, high: 12700 }).text).toBe("≈ 12,300 (11,900–12,700)");
    expect(showEstimate({ estimate: 30, low: 30, high: 30 })).toMatchObject({ kind: "figure", text: "30" });
  });
  it("`~` is small, not empty; an error is a triangle with its reason; a count is real", () => {
    expect(showEstimate({ approximate: true })).toMatchObject({ kind: "approximate", text: "~" });
    const e = showEstimate({ error: { code: "unknown_attribute", message: "no attribute ltv" } });
    expect(e).toMatchObject({ kind: "error", text: "⚠", code: "unknown_attribute" });
    expect(e.title).toContain("no attribute ltv");
    expect(showEstimate({ count: 1234 })).toMatchObject({ kind: "count", text: "1,234" });
  });
});

describe("estimates of several workspaces", () => {
  it("add figures and bounds; an error wins over ~, ~ over a figure", () => {
    expect(sumEstimates([{ estimate: 10, low: 8, high: 12 }, { estimate: 5, low: 5, high: 5 }])).toEqual({ estimate: 15, low: 13, high: 17 });
    expect(sumEstimates([{ estimate: 10, low: 8, high: 12 }, { approximate: true }])).toEqual({ approximate: true });
    const err = { error: { code: "silent_input", message: "shop/web has sent nothing" } };
    expect(sumEstimates([{ approximate: true }, err])).toEqual(err);
    expect(sumEstimates([{ count: 2 }, { count: 3 }])).toEqual({ count: 5 });
    expect(sumEstimates([])).toBeUndefined();
  });
});

describe("where a live count is taken", () => {
  it("the referenced workspaces with their inputs, else every workspace", () => {
    expect(scopesOf(["shop/web", "shop/app", "blog/web"], ["shop", "blog"])).toEqual([
      { workspace: "shop", inputs: ["web", "app"] }, { workspace: "blog", inputs: ["web"] },
    ]);
    expect(scopesOf([], ["shop", "blog"])).toEqual([{ workspace: "shop", inputs: [] }, { workspace: "blog", inputs: [] }]);
  });
});

describe("criteria as the estimator splits them", () => {
  it("a top-level all gives its parts; anything else is one part", () => {
    expect(topLevelCriteria({ all: [{ event: "A" }, { trait: "plan", op: "eq", value: "pro" }] })).toHaveLength(2);
    expect(topLevelCriteria({ any: [{ event: "A" }] })).toHaveLength(1);
    expect(topLevelCriteria(undefined)).toEqual([]);
  });
  it("criteria still being typed are not sent", () => {
    expect(isComplete({ all: [{ event: "A" }, { event: " " }] })).toBe(false);
    expect(isComplete({ not: { event: "A" } })).toBe(true);
  });
  it("a journey estimate is read by step, milestones with their criteria", () => {
    const m = byStep({ id: "j", version: 1, population: 9, sample: 9,
      steps: [{ step: "entry", size: { estimate: 9, low: 9, high: 9 } }, { step: "m", size: { count: 2 } }],
      milestones: [{ step: "m", criteria: [{ approximate: true }] }] });
    expect(m.get("m")).toEqual({ size: { count: 2 }, criteria: [{ approximate: true }] });
  });
});
