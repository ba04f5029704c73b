import { describe, expect, it } from "vitest";
import { byJourney, type ProfileJourney } from "./model";

const v = (journey_id: string, version: number, status: ProfileJourney["status"]): ProfileJourney => ({
  journey_id, version, status, entries: 1, entered_at: "2026-01-01T00:00:00Z", left_at: null, goal_reached: false, steps: [], at: [],
});

describe("a profile's journeys", () => {
  it("are grouped by journey in the order the API gives, newest version first", () => {
    const groups = byJourney([v("cart", 1, "out"), v("trial", 1, "in"), v("cart", 2, "in")]);
    expect(groups.map((g) => [g.id, g.versions.map((x) => x.version)])).toEqual([["cart", [2, 1]], ["trial", [1]]]);
  });
});
