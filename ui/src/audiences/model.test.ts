import { describe, expect, it } from "vitest";
import { definitionOf, patchOf, type AudienceView } from "./model";

const view: AudienceView = {
  id: "vips", name: "VIPs", description: "", inputs: ["shop/web"],
  criteria: { trait: "plan", op: "eq", value: "pro" },
  connections: [{ id: "vips-crm", output: "crm", active: true, mode: "list" }],
  key: "a_vips_123abc", owner: "account", status: "live", size: 3,
  stats: { size: 3, entered: 4, exited: 1, connections: [{ id: "vips-crm", output: "crm", active: true, deliveries: { pending: 0, delivered: 4, dead: 0 } }] },
};

describe("an audience's definition and patch", () => {
  it("the form edits the definition only: no figures, key or owner", () => {
    expect(definitionOf(view)).toEqual({
      id: "vips", name: "VIPs", inputs: ["shop/web"], criteria: view.criteria,
      connections: [{ id: "vips-crm", output: "crm", active: true, mode: "list" }],
    });
  });
  it("a patch never sends the id or the inputs (fixed once made) and clears an emptied description", () => {
    const p = patchOf({ ...definitionOf(view), description: "" });
    expect(p).toEqual({ name: "VIPs", description: null, criteria: view.criteria, connections: view.connections });
    expect("inputs" in p || "id" in p).toBe(false);
  });
});
