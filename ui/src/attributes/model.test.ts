import { describe as suite, expect, it } from "vitest";
import { cleanAttribute, describe, definitionOf } from "./model";

suite("a computed attribute's definition", () => {
  it("drops empty fields and a count's property", () => {
    expect(cleanAttribute({ name: " orders ", event: "Order Completed", aggregate: "count", property: "revenue", within: "", where: [] }))
      .toEqual({ name: "orders", event: "Order Completed", aggregate: "count" });
    expect(cleanAttribute({ name: "ltv", event: "Order Completed", aggregate: "sum", property: "revenue", within: "365d" }))
      .toEqual({ name: "ltv", event: "Order Completed", aggregate: "sum", property: "revenue", within: "365d" });
  });
  it("a view's definition leaves out the workspace and times, and nulls", () => {
    expect(definitionOf({ name: "ltv", event: "Order Completed", aggregate: "sum", property: "revenue", workspace: "shop", created_at: "x", within: null as unknown as undefined }))
      .toEqual({ name: "ltv", event: "Order Completed", aggregate: "sum", property: "revenue" });
  });
  it("reads in words", () => {
    expect(describe({ name: "ltv", event: "Order Completed", aggregate: "sum", property: "revenue", within: "30d", where: [{ property: "currency", op: "eq", value: "EUR" }] }))
      .toBe('sum of revenue over Order Completed where currency eq "EUR" in the last 30d');
    expect(describe({ name: "n", event: "Login", aggregate: "count" })).toBe("count over Login, all history");
  });
});
