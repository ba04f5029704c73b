// Where a profile is in a journey, read from its steps' audience CSVs.
import { describe, expect, it } from "vitest";
import { parseAudienceCsv, parseCsv, placeIn, readsWorkspace } from "./membership";
import { addChild, blankJourney, newStep, split, walk } from "../journey/tree";

const HEADER = "key,user_id,anonymous_id,version,entry_number,entered_at\n";

describe("audience CSV", () => {
  it("parses quoted fields, doubled quotes and both line ends", () => {
    expect(parseCsv('a,"b,c","say ""hi"""\r\nd,,e\n')).toEqual([["a", "b,c", 'say "hi"'], ["d", "", "e"]]);
    expect(parseCsv("x,y")).toEqual([["x", "y"]]);
  });
  it("reads rows by the header's names", () => {
    const rows = parseAudienceCsv(HEADER + 'p1,ana,"anon,1",2,1,2026-01-01T00:00:00Z\n');
    expect(rows).toEqual([{ key: "p1", user_id: "ana", anonymous_id: "anon,1", version: 2, entry_number: 1, entered_at: "2026-01-01T00:00:00Z" }]);
    expect(parseAudienceCsv(HEADER)).toEqual([]);
  });
});

describe("a profile's place in a journey", () => {
  let j = blankJourney("j", "J", ["shop/web"], "Signed Up");
  const wait = newStep(j, "wait");
  j = addChild(j, "entry", wait);
  j = split(j, wait.id, "truefalse");
  const [, , yes, no] = walk(j).map((l) => l.step);
  const row = (user: string, anon: string, at: string, version = 1, entry = 1) => ({ key: user || anon, user_id: user, anonymous_id: anon, version, entry_number: entry, entered_at: at });

  it("lists the steps whose audience holds the user and the deepest as current", () => {
    const rows = {
      entry: [row("ana", "a1", "t1"), row("ben", "", "t1")],
      [wait.id]: [row("ana", "a1", "t2"), row("ben", "", "t2")],
      [yes!.id]: [row("ana", "a1", "t3")],
      [no!.id]: [row("ben", "", "t3")],
    };
    const place = placeIn(j, rows, { user_id: "ana", anonymous_ids: ["a1"] });
    expect(place.steps.map((s) => [s.id, s.entered_at, s.depth])).toEqual([["entry", "t1", 0], [wait.id, "t2", 1], [yes!.id, "t3", 2]]);
    expect(place.current).toEqual([yes!.id]);
  });

  it("matches an anonymous user by any of their anonymous ids, and keeps the latest entry", () => {
    const rows = { entry: [row("", "dev-2", "old", 1, 1), row("", "dev-2", "new", 2, 1)] };
    const place = placeIn(j, rows, { user_id: null, anonymous_ids: ["dev-1", "dev-2"] });
    expect(place.steps).toEqual([{ id: "entry", name: "On Signed Up", entered_at: "new", version: 2, depth: 0 }]);
    expect(place.current).toEqual(["entry"]);
    expect(placeIn(j, rows, { user_id: "dev-2", anonymous_ids: [] }).steps).toEqual([]);
  });

  it("knows which journeys read a workspace", () => {
    expect(readsWorkspace(j, "shop")).toBe(true);
    expect(readsWorkspace(j, "blog")).toBe(false);
    expect(readsWorkspace({ ...j, inputs: [] }, "blog")).toBe(true);
  });
});
