// Computed attributes (SPEC §5) as `/api/workspaces/{ws}/attributes` reads and writes them
// (docs/computed-attributes.md, "Over the API").
import type { components } from "../api/schema";
import type { Filter } from "../journey/model";

export type Aggregate = "count" | "sum" | "min" | "max" | "avg" | "first" | "last" | "unique_count";

/** How each aggregate reads, and whether it needs a property. */
export const AGGREGATES: [Aggregate, string, boolean][] = [
  ["count", "how many matching events (0 when none)", false],
  ["sum", "the sum of a property (0 when none)", true],
  ["min", "the smallest value of a property", true],
  ["max", "the largest value of a property", true],
  ["avg", "the mean of a property", true],
  ["first", "a property's value on the earliest event", true],
  ["last", "a property's value on the latest event", true],
  ["unique_count", "how many distinct values a property took", true],
];

export function needsProperty(a: Aggregate): boolean {
  return AGGREGATES.find(([x]) => x === a)?.[2] ?? true;
}

/** What a user writes: `POST` and `PATCH`. */
export interface AttributeDefinition {
  name: string;
  event: string;
  aggregate: Aggregate;
  property?: string;
  within?: string;
  where?: Filter[];
}

/** The view: the definition, its workspace and times. */
export interface AttributeView extends AttributeDefinition {
  workspace: string;
  created_at?: string;
  updated_at?: string;
}

export function blankAttribute(): AttributeDefinition {
  return { name: "", event: "", aggregate: "count" };
}

/** The definition as sent: no empty optional fields, no property for `count`. */
export function cleanAttribute(d: AttributeDefinition): AttributeDefinition {
  const out: AttributeDefinition = { name: d.name.trim(), event: d.event.trim(), aggregate: d.aggregate };
  if (needsProperty(d.aggregate) && d.property?.trim()) out.property = d.property.trim();
  if (d.within?.trim()) out.within = d.within.trim();
  if (d.where?.length) out.where = d.where;
  return out;
}

/** The definition of a view (what the form edits). */
export function definitionOf(v: AttributeView): AttributeDefinition {
  return cleanAttribute({ name: v.name, event: v.event, aggregate: v.aggregate, property: v.property ?? undefined, within: v.within ?? undefined, where: v.where });
}

/** The attribute in words: "sum of revenue over Order Completed in the last 30d". */
export function describe(d: AttributeDefinition): string {
  const what = d.aggregate === "count" ? "count" : `${d.aggregate.replace("_", " ")} of ${d.property ?? "?"}`;
  const filters = d.where?.length ? ` where ${d.where.map((f) => `${f.property} ${f.op}${f.value === undefined ? "" : " " + JSON.stringify(f.value)}`).join(" and ")}` : "";
  return `${what} over ${d.event}${filters}${d.within ? ` in the last ${d.within}` : ", all history"}`;
}

// What the UI writes must stay what the server reads (the engine's schemas).
type Assert<T extends true> = T;
type Fits<A, B> = [A] extends [B] ? true : false;
export type AttributeChecks = [
  Assert<Fits<AttributeDefinition, components["schemas"]["ComputedAttribute"]>>,
  Assert<Fits<Aggregate, components["schemas"]["Aggregate"]>>,
];
