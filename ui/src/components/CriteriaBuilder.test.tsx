// The criteria builder's JSON round trip over every criterion kind of SPEC §4: what it shows
// re-typed as is gives back the same JSON, the JSON view shows exactly the value, the JSON
// view's edits are applied (bad JSON is refused next to the box), and building each kind by
// hand writes the JSON the server reads.
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { CriteriaBuilder, durationError, formatValue, parseValue, type BuilderContext } from "./CriteriaBuilder";
import type { Criteria } from "../journey/model";

afterEach(cleanup);

const ctx = { inputs: ["shop/ios", "shop/android", "shop/web"], journeys: [{ id: "cart", steps: ["entry", "hour"] }] };

/** One sample per kind and per optional part (SPEC §4). */
const SAMPLES: Record<string, Criteria> = {
  everyone: { everyone: true },
  event: { event: "Order Completed" },
  eventFull: {
    event: "Order Completed",
    where: [
      { property: "revenue", op: "gte", value: 100 },
      { property: "context.device.type", op: "in", value: ["ios", "android"] },
      { property: "coupon", op: "exists" },
      { property: "sku", op: "starts_with", value: "SKU-" },
      { property: "zip", op: "eq", value: "02134" },
      { property: "gift", op: "eq", value: false },
      { property: "price", op: "between", value: [10, 20.5] },
    ],
    count: { op: "=", value: 0 },
    within: "1d",
    since: "entry",
  },
  eventBetween: { event: "Page Viewed", between: { from: "2026-01-01T00:00:00Z", to: "2026-01-31T23:59:59Z" }, count: { op: ">", value: 3 }, since: "step" },
  trait: { trait: "plan", op: "eq", value: "pro" },
  traitFor: { trait: "address.state", op: "neq", value: "CA", for: "7d" },
  traitExists: { trait: "email", op: "not_exists" },
  attribute: { attribute: "ltv", op: "gt", value: 250.5 },
  memberStep: { member_of: { journey: "cart", step: "hour" }, is: true },
  memberAudience: { member_of: { audience: "vips" }, is: false },
  consent: { consent: "email", granted: true },
  consentNo: { consent: "sms", granted: false },
  input: { input: ["shop/ios", "shop/android"] },
  not: { not: { event: "Order Completed", within: "30d" } },
  nested: {
    all: [
      { any: [{ trait: "plan", op: "in", value: ["pro", "team"] }, { attribute: "orders", op: "gte", value: 3 }] },
      { not: { all: [{ consent: "email", granted: false }, { input: ["shop/web"] }] } },
      { any: [] },
      { all: [] },
    ],
  },
};

function Harness({ initial, onValue, context = ctx }: { initial: Criteria | undefined; onValue: (c: Criteria | undefined) => void; context?: BuilderContext }) {
  const [v, setV] = useState(initial);
  return <CriteriaBuilder label="Test" value={v} ctx={context} optional onChange={(c) => { setV(c); onValue(c); }} />;
}

function renderBuilder(initial: Criteria | undefined, context: BuilderContext = ctx) {
  const seen: { value: Criteria | undefined } = { value: initial };
  render(<Harness initial={initial} context={context} onValue={(c) => (seen.value = c)} />);
  return seen;
}

/** Types something else into a box and then what it showed, so React sees two real edits. */
function retype(el: HTMLInputElement) {
  const shown = el.value;
  fireEvent.change(el, { target: { value: el.type === "number" ? String(Number(shown) + 1) : shown + "x" } });
  fireEvent.change(el, { target: { value: shown } });
}

describe("criteria builder round trip", () => {
  for (const [name, sample] of Object.entries(SAMPLES)) {
    it(`${name}: re-typing every box gives back the same JSON`, () => {
      const seen = renderBuilder(sample);
      const boxes = Array.from(document.querySelectorAll<HTMLInputElement>("input:not([type=checkbox])"));
      for (const box of boxes) retype(box);
      expect(seen.value).toEqual(sample);
    });

    it(`${name}: the JSON view shows exactly the criteria`, () => {
      renderBuilder(sample);
      fireEvent.click(screen.getByLabelText("Edit as JSON"));
      const text = (screen.getByLabelText("Test JSON") as HTMLTextAreaElement).value;
      expect(JSON.parse(text)).toEqual(sample);
    });
  }

  it("edits in the JSON view are applied, and bad JSON is refused next to the box", () => {
    const seen = renderBuilder({ event: "A" });
    fireEvent.click(screen.getByLabelText("Edit as JSON"));
    const area = screen.getByLabelText("Test JSON");
    fireEvent.change(area, { target: { value: JSON.stringify(SAMPLES.nested) } });
    expect(seen.value).toEqual(SAMPLES.nested);
    fireEvent.change(area, { target: { value: "{\"event\": " } });
    expect(screen.getByRole("alert").textContent).toMatch(/Not applied/);
    expect(seen.value).toEqual(SAMPLES.nested);
    fireEvent.change(area, { target: { value: "[1]" } });
    expect(screen.getByRole("alert").textContent).toMatch(/JSON object/);
    // Back to the visual builder, which shows the applied value.
    fireEvent.click(screen.getByLabelText("Edit as JSON"));
    expect(screen.getAllByLabelText(/kind$/).length).toBeGreaterThan(5);
  });
});

describe("building each kind by hand", () => {
  const pick = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
  const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

  it("event with count, window, since and a filter", () => {
    const seen = renderBuilder({ event: "" });
    type("Test event name", "Order Completed");
    pick("Test count operator", "<");
    type("Test count", "2");
    pick("Test time window", "within");
    type("Test within", "12h");
    pick("Test counted since", "entry");
    fireEvent.click(screen.getByText("+ property filter"));
    type("Test filter 1 property", "revenue");
    pick("Test filter 1 operator", "gt");
    type("Test filter 1 value", "99.5");
    expect(seen.value).toEqual({ event: "Order Completed", count: { op: "<", value: 2 }, within: "12h", since: "entry", where: [{ property: "revenue", op: "gt", value: 99.5 }] });
    pick("Test time window", "between");
    expect((seen.value as { between?: unknown; within?: unknown }).within).toBeUndefined();
    type("Test between from", "2026-02-01T00:00:00Z");
    expect((seen.value as { between: { from: string } }).between.from).toBe("2026-02-01T00:00:00Z");
  });

  it("a bad duration is reported next to its box", () => {
    renderBuilder({ event: "A", within: "7d" });
    type("Test within", "7 days");
    expect(screen.getByRole("alert").textContent).toMatch(/number and a unit/);
    expect(screen.getByLabelText("Test within").getAttribute("aria-invalid")).toBe("true");
  });

  it("trait with for, attribute, consent, input, member_of", () => {
    const seen = renderBuilder({ event: "" });
    pick("Test kind", "trait");
    type("Test trait", "plan");
    pick("Test operator", "in");
    type("Test value", "pro, team");
    type("Test held for", "3d");
    expect(seen.value).toEqual({ trait: "plan", op: "in", value: ["pro", "team"], for: "3d" });

    pick("Test kind", "attribute");
    type("Test attribute", "ltv");
    pick("Test operator", "lte");
    type("Test value", "10");
    expect(seen.value).toEqual({ attribute: "ltv", op: "lte", value: 10 });

    pick("Test kind", "consent");
    type("Test consent purpose", "push");
    pick("Test consent state", "false");
    expect(seen.value).toEqual({ consent: "push", granted: false });

    pick("Test kind", "input");
    fireEvent.click(screen.getByLabelText("shop/web"));
    fireEvent.click(screen.getByLabelText("shop/ios"));
    expect(seen.value).toEqual({ input: ["shop/web", "shop/ios"] });

    pick("Test kind", "member_of");
    type("Test journey id", "cart");
    type("Test step id", "hour");
    pick("Test membership", "false");
    expect(seen.value).toEqual({ member_of: { journey: "cart", step: "hour" }, is: false });
    pick("Test audience kind", "audience");
    type("Test audience id", "vips");
    expect(seen.value).toEqual({ member_of: { audience: "vips" }, is: false });

    pick("Test kind", "everyone");
    expect(seen.value).toEqual({ everyone: true });
  });

  it("member of an audience is picked from the known audiences by name", () => {
    const seen = renderBuilder({ member_of: { audience: "" }, is: true }, { ...ctx, audiences: [{ id: "vips", name: "VIP customers" }, { id: "churn", name: "Churn risk" }] });
    expect(screen.getByRole("option", { name: "VIP customers (vips)" })).toBeTruthy();
    pick("Test audience", "churn");
    expect(seen.value).toEqual({ member_of: { audience: "churn" }, is: true });
  });

  it("a computed attribute's name is offered from the known attributes", () => {
    const { container } = render(<Harness initial={{ attribute: "", op: "gte", value: 0 }} context={{ ...ctx, attributes: ["ltv", "orders"] }} onValue={() => {}} />);
    const box = screen.getByLabelText("Test attribute") as HTMLInputElement;
    const options = [...container.querySelectorAll(`datalist[id="${box.getAttribute("list")}"] option`)].map((o) => o.getAttribute("value"));
    expect(options).toEqual(["ltv", "orders"]);
  });

  it("nested groups: all, any and not", () => {
    const seen = renderBuilder({ event: "" });
    pick("Test kind", "any");
    fireEvent.click(screen.getByText("+ condition"));
    type("Test.1 event name", "A");
    fireEvent.click(screen.getAllByText("+ group")[0]!);
    pick("Test.2 kind", "not");
    type("Test.2.not event name", "B");
    expect(seen.value).toEqual({ any: [{ event: "A" }, { not: { event: "B" } }] });
    fireEvent.click(screen.getByLabelText("Remove Test.1 condition"));
    expect(seen.value).toEqual({ any: [{ not: { event: "B" } }] });
    act(() => {
      fireEvent.click(screen.getByLabelText("Remove Test condition"));
    });
    expect(seen.value).toBeUndefined();
  });
});

describe("values and durations", () => {
  it("typed values keep their JSON type", () => {
    for (const v of [0, -2.5, "pro", true, false, "42", "true", ""]) {
      expect(parseValue(formatValue(v), "eq")).toEqual(v);
    }
    expect(parseValue(formatValue(["a", 1, "2"]), "in")).toEqual(["a", 1, "2"]);
  });
  it("durations", () => {
    for (const d of ["30s", "5m", "12h", "7d", "2w"]) expect(durationError(d)).toBeNull();
    for (const d of ["7", "d", "7 d", "1y", "-1d"]) expect(durationError(d)).not.toBeNull();
  });
});
