// The step tree operations the canvas uses, and the limits checked as the user types.
import { describe, expect, it } from "vitest";
import { addChild, blankJourney, countSteps, localProblems, newStep, removeStep, split, stepOfPath, walk } from "./tree";
import { LIMITS } from "./model";

describe("the step tree", () => {
  it("builds the browser test's journey and counts steps as Segment does", () => {
    let j = blankJourney("j", "J", ["shop/web"], "Signed Up");
    expect(countSteps(j)).toBe(1);
    const wait = newStep(j, "wait");
    j = addChild(j, "entry", wait);
    expect(countSteps(j)).toBe(1); // waits count 0
    j = split(j, wait.id, "truefalse");
    expect(countSteps(j)).toBe(2); // a true/false split counts 1
    const yes = walk(j).find((l) => l.step.name === "True")!.step;
    j = addChild(j, yes.id, newStep(j, "send"));
    expect(countSteps(j)).toBe(3);
    expect(j.entry.steps![0]!.branching).toBe("decide");
    expect(j.entry.steps![0]!.steps!.map((s) => s.type)).toEqual(["milestone", "remaining"]);
    expect(stepOfPath(j, "$.entry.steps[0].steps[0].steps[0].connections")).toBe(walk(j)[3]!.step.id);
    expect(stepOfPath(j, "$.settings.exit")).toBeNull();
  });

  it("keeps the remaining path rightmost when a path is added", () => {
    let j = blankJourney("j", "J", []);
    j = split(j, "entry", "multi");
    j = addChild(j, "entry", newStep(j, "milestone", "Third"));
    const kids = j.entry.steps!.map((s) => s.type);
    expect(kids[kids.length - 1]).toBe("remaining");
    expect(j.entry.steps!.map((s) => s.name)).toEqual(["Branch 1", "Branch 2", "Third", "Everyone else"]);
    expect(countSteps(j)).toBe(1 + 4);
  });

  it("ids stay unique and removing a step removes its subtree", () => {
    let j = blankJourney("j", "J", []);
    j = addChild(j, "entry", newStep(j, "send"));
    j = addChild(j, "entry", newStep(j, "send"));
    const ids = walk(j).map((l) => l.step.id);
    expect(new Set(ids).size).toBe(ids.length);
    j = split(j, ids[1]!, "random");
    expect(walk(j)).toHaveLength(5);
    j = removeStep(j, ids[1]!);
    expect(walk(j).map((l) => l.step.id)).toEqual(["entry", ids[2]]);
  });

  it("limits and formats are reported as you type", () => {
    let j = blankJourney("j", "x".repeat(LIMITS.journeyName + 1), []);
    const wait = { ...newStep(j, "wait"), name: "y".repeat(LIMITS.stepName + 1), wait: { duration: "1 day" } };
    j = addChild(j, "entry", wait);
    const p = localProblems(j, LIMITS);
    expect(p).toContainEqual({ step: null, message: "Journey names are at most 73 characters" });
    expect(p).toContainEqual({ step: wait.id, message: "Step names are at most 170 characters" });
    expect(p).toContainEqual({ step: wait.id, message: "The wait needs a duration such as 30m, 1d or 2w" });
    let big = blankJourney("b", "B", []);
    for (let i = 0; i < 20; i++) big = addChild(big, "entry", newStep(big, "send"));
    expect(countSteps(big)).toBe(21);
    expect(localProblems(big, LIMITS).map((x) => x.message)).toContain("21 steps: a journey has at most 20 (as Segment counts them)");
  });

  it("a remaining-user path added under milestones waiting for their condition needs a timeout", () => {
    let j = blankJourney("j", "J", []);
    j = addChild(j, "entry", newStep(j, "milestone", "Bought"));
    j = addChild(j, "entry", newStep(j, "remaining"));
    expect(j.entry.steps!.map((s) => s.type)).toEqual(["milestone", "remaining"]);
    expect(localProblems(j, LIMITS).filter((p) => p.step === "entry")).toHaveLength(1);
    expect(localProblems({ ...j, entry: { ...j.entry, timeout: "3d" } }, LIMITS).filter((p) => p.step === "entry")).toEqual([]);
    expect(localProblems({ ...j, entry: { ...j.entry, branching: "live" } }, LIMITS).filter((p) => p.step === "entry")).toEqual([]);
  });
});
