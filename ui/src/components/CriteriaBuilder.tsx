// The criteria builder: one component for every place SPEC §4 criteria appear (entry,
// milestones, splits, exit, goal). It edits the JSON directly, so what it writes is exactly
// what the server reads, and an advanced toggle shows that JSON, editable.
import { useEffect, useId, useState } from "react";
import {
  OPS, kindOf,
  type AttributeCriterion, type ConsentCriterion, type CountOp, type Criteria, type CriterionKind,
  type EventCriterion, type Filter, type InputCriterion, type MemberOfCriterion, type Op, type TraitCriterion,
} from "../journey/model";
import type { EstimateScope } from "../estimate/model";
import { LiveCount } from "../estimate/LiveCount";

/** What the builder may offer in its pickers. */
export interface BuilderContext {
  inputs: string[];
  journeys: { id: string; steps: string[] }[];
  /** Computed attribute names offered as the attribute is typed. */
  attributes?: string[];
  /** Standalone audiences to pick from in "member of"; without them an audience id is typed. */
  audiences?: { id: string; name: string }[];
  /** Where the live count is taken; without it the builder shows no count. */
  estimate?: EstimateScope[];
}

const KIND_LABELS: Record<CriterionKind, string> = {
  event: "Event",
  trait: "Trait",
  attribute: "Computed attribute",
  consent: "Consent",
  input: "Input",
  member_of: "Member of",
  all: "All of (group)",
  any: "Any of (group)",
  not: "Not",
  everyone: "Everyone",
};

export function defaultFor(kind: CriterionKind): Criteria {
  switch (kind) {
    case "all": return { all: [] };
    case "any": return { any: [] };
    case "not": return { not: { event: "" } };
    case "everyone": return { everyone: true };
    case "event": return { event: "" };
    case "trait": return { trait: "", op: "eq", value: "" };
    case "attribute": return { attribute: "", op: "gte", value: 0 };
    case "member_of": return { member_of: { journey: "", step: "" }, is: true };
    case "consent": return { consent: "", granted: true };
    case "input": return { input: [] };
  }
}

const DURATION = /^\d+[smhdw]$/;
/** A message when `d` is not a SPEC §4 duration (`<n>s|m|h|d|w`), else null. */
export function durationError(d: string | undefined): string | null {
  if (d === undefined || d === "") return null;
  return DURATION.test(d) ? null : "A duration is a number and a unit: 30m, 12h, 7d, 2w";
}

function scalar(t: string): unknown {
  const s = t.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === "true") return true;
  if (s === "false") return false;
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) return s.slice(1, -1);
  return s;
}
/** The operand typed in a value box: a number, a boolean or a string; a list for `in`, `not_in`, `between`. */
export function parseValue(text: string, op: Op): unknown {
  if (op === "in" || op === "not_in" || op === "between") {
    return text.split(",").map((x) => x.trim()).filter((x) => x !== "").map(scalar);
  }
  return scalar(text);
}
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return v.map((x) => formatValue(x)).join(", ");
  if (typeof v === "string" && /^-?\d+(\.\d+)?$|^true$|^false$/.test(v)) return `"${v}"`;
  return String(v);
}
const NO_VALUE: Op[] = ["exists", "not_exists"];

/** A text box that keeps what is typed and reports the parsed value (so "1." can be typed). */
function ValueBox({ label, value, op, onChange }: { label: string; value: unknown; op: Op; onChange: (v: unknown) => void }) {
  const [text, setText] = useState(formatValue(value));
  useEffect(() => {
    if (JSON.stringify(parseValue(text, op)) !== JSON.stringify(value)) setText(formatValue(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value, op]);
  if (NO_VALUE.includes(op)) return null;
  const hint = op === "in" || op === "not_in" ? "a, b, c" : op === "between" ? "low, high" : "value";
  return (
    <input
      aria-label={label}
      placeholder={hint}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onChange(parseValue(e.target.value, op));
      }}
    />
  );
}

/** Operators in words; the JSON keeps SPEC §4's names. */
export const OP_LABELS: Record<Op, string> = {
  eq: "equals", neq: "does not equal", gt: "is greater than", gte: "is at least", lt: "is less than", lte: "is at most",
  contains: "contains", not_contains: "does not contain", starts_with: "starts with", ends_with: "ends with",
  in: "is one of", not_in: "is none of", exists: "exists", not_exists: "does not exist", between: "is between",
};

function OpSelect({ label, value, onChange }: { label: string; value: Op; onChange: (o: Op) => void }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as Op)}>
      {OPS.map((o) => <option key={o} value={o}>{OP_LABELS[o]}</option>)}
    </select>
  );
}

function DurationBox({ label, value, onChange, placeholder }: { label: string; value?: string; onChange: (d: string | undefined) => void; placeholder?: string }) {
  const err = durationError(value);
  const id = useId();
  return (
    <span className="field-inline">
      <input
        aria-label={label}
        aria-invalid={err ? true : undefined}
        aria-describedby={err ? id : undefined}
        className="short"
        placeholder={placeholder ?? "7d"}
        value={value ?? ""}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
      />
      {err && <span id={id} className="error-text" role="alert">{err}</span>}
    </span>
  );
}

/** Drops keys whose value is undefined, so the JSON stays minimal. */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function FiltersEditor({ filters, onChange, prefix }: { filters: Filter[]; onChange: (f: Filter[]) => void; prefix: string }) {
  return (
    <div className="filters">
      {filters.map((f, i) => (
        <div className="row" key={i}>
          <span className="muted">where</span>
          <input aria-label={`${prefix} filter ${i + 1} property`} placeholder="property (or context.…)" value={f.property}
            onChange={(e) => onChange(filters.map((x, j) => (j === i ? { ...x, property: e.target.value } : x)))} />
          <OpSelect label={`${prefix} filter ${i + 1} operator`} value={f.op}
            onChange={(op) => onChange(filters.map((x, j) => (j === i ? clean({ ...x, op, value: NO_VALUE.includes(op) ? undefined : x.value ?? "" }) : x)))} />
          <ValueBox label={`${prefix} filter ${i + 1} value`} value={f.value} op={f.op}
            onChange={(value) => onChange(filters.map((x, j) => (j === i ? { ...x, value } : x)))} />
          <button type="button" className="icon" aria-label={`Remove ${prefix} filter ${i + 1}`} onClick={() => onChange(filters.filter((_, j) => j !== i))}>×</button>
        </div>
      ))}
      <button type="button" className="link" onClick={() => onChange([...filters, { property: "", op: "eq", value: "" }])}>
        + property filter
      </button>
    </div>
  );
}

function EventEditor({ c, onChange, prefix }: { c: EventCriterion; onChange: (c: Criteria) => void; prefix: string }) {
  const windowKind = c.between ? "between" : c.within ? "within" : "ever";
  const count = c.count ?? { op: ">=" as CountOp, value: 1 };
  const set = (patch: Partial<EventCriterion>) => onChange(clean({ ...c, ...patch }));
  // The default count (>= 1) is left out, as the server reads a missing count.
  const setCount = (n: { op: CountOp; value: number }) => set({ count: n.op === ">=" && n.value === 1 ? undefined : n });
  return (
    <div className="crit-body">
      <div className="row">
        <input aria-label={`${prefix} event name`} placeholder="Event name, e.g. Order Completed" value={c.event}
          onChange={(e) => set({ event: e.target.value })} aria-invalid={c.event === "" ? true : undefined} />
        <span className="muted">performed</span>
        <select aria-label={`${prefix} count operator`} value={count.op} onChange={(e) => setCount({ ...count, op: e.target.value as CountOp })}>
          {([[">=", "at least"], [">", "more than"], ["=", "exactly"], ["<", "fewer than"], ["<=", "at most"]] as [CountOp, string][]).map(([o, t]) => <option key={o} value={o}>{t}</option>)}
        </select>
        <input aria-label={`${prefix} count`} type="number" min={0} className="num" value={count.value}
          onChange={(e) => setCount({ ...count, value: Math.max(0, Number(e.target.value) || 0) })} />
        <span className="muted">{count.value === 1 ? "time" : "times"}</span>
      </div>
      <div className="row">
        <select aria-label={`${prefix} time window`} value={windowKind}
          onChange={(e) => {
            const k = e.target.value;
            set({
              within: k === "within" ? c.within ?? "7d" : undefined,
              between: k === "between" ? c.between ?? { from: "2026-01-01T00:00:00Z", to: "2026-12-31T23:59:59Z" } : undefined,
            });
          }}>
          <option value="ever">at any time</option>
          <option value="within">within the last</option>
          <option value="between">between two times</option>
        </select>
        {windowKind === "within" && <DurationBox label={`${prefix} within`} value={c.within} onChange={(within) => set({ within })} />}
        {c.between && (
          <>
            <input aria-label={`${prefix} between from`} value={c.between.from} onChange={(e) => set({ between: { ...c.between!, from: e.target.value } })} />
            <span className="muted">and</span>
            <input aria-label={`${prefix} between to`} value={c.between.to} onChange={(e) => set({ between: { ...c.between!, to: e.target.value } })} />
          </>
        )}
        <select aria-label={`${prefix} counted since`} value={c.since ?? ""} onChange={(e) => set({ since: (e.target.value || undefined) as EventCriterion["since"] })}>
          <option value="">counting all history</option>
          <option value="entry">since journey entry</option>
          <option value="step">since reaching the step</option>
        </select>
      </div>
      <FiltersEditor prefix={prefix} filters={c.where ?? []} onChange={(w) => set({ where: w.length ? w : undefined })} />
    </div>
  );
}

function TraitEditor({ c, onChange, prefix }: { c: TraitCriterion; onChange: (c: Criteria) => void; prefix: string }) {
  return (
    <div className="row crit-body">
      <input aria-label={`${prefix} trait`} placeholder="trait, e.g. plan or address.state" value={c.trait} onChange={(e) => onChange({ ...c, trait: e.target.value })} />
      <OpSelect label={`${prefix} operator`} value={c.op} onChange={(op) => onChange(clean({ ...c, op, value: NO_VALUE.includes(op) ? undefined : c.value ?? "" }))} />
      <ValueBox label={`${prefix} value`} value={c.value} op={c.op} onChange={(value) => onChange({ ...c, value })} />
      <span className="muted">for at least</span>
      <DurationBox label={`${prefix} held for`} placeholder="(optional)" value={c.for} onChange={(f) => onChange(clean({ ...c, for: f }))} />
    </div>
  );
}

function AttributeEditor({ c, onChange, prefix, ctx }: { c: AttributeCriterion; onChange: (c: Criteria) => void; prefix: string; ctx: BuilderContext }) {
  return (
    <div className="row crit-body">
      <input aria-label={`${prefix} attribute`} list={`${prefix}-attributes`} placeholder="computed attribute, e.g. ltv" value={c.attribute} onChange={(e) => onChange({ ...c, attribute: e.target.value })} />
      <datalist id={`${prefix}-attributes`}>{(ctx.attributes ?? []).map((a) => <option key={a} value={a} />)}</datalist>
      <OpSelect label={`${prefix} operator`} value={c.op} onChange={(op) => onChange(clean({ ...c, op, value: NO_VALUE.includes(op) ? undefined : c.value ?? "" }))} />
      <ValueBox label={`${prefix} value`} value={c.value} op={c.op} onChange={(value) => onChange({ ...c, value })} />
    </div>
  );
}

function MemberOfEditor({ c, onChange, prefix, ctx }: { c: MemberOfCriterion; onChange: (c: Criteria) => void; prefix: string; ctx: BuilderContext }) {
  const target = c.member_of;
  const isAudience = "audience" in target;
  const journeyId = "journey" in target ? target.journey : "";
  const steps = ctx.journeys.find((j) => j.id === journeyId)?.steps ?? [];
  return (
    <div className="row crit-body">
      <select aria-label={`${prefix} membership`} value={String(c.is)} onChange={(e) => onChange({ ...c, is: e.target.value === "true" })}>
        <option value="true">is in</option>
        <option value="false">is not in</option>
      </select>
      <select aria-label={`${prefix} audience kind`} value={isAudience ? "audience" : "step"}
        onChange={(e) => onChange({ ...c, member_of: e.target.value === "audience" ? { audience: "" } : { journey: "", step: "" } })}>
        <option value="step">a journey step</option>
        <option value="audience">an audience</option>
      </select>
      {isAudience ? (
        (ctx.audiences ?? []).length > 0 ? (
          <select aria-label={`${prefix} audience`} value={target.audience} onChange={(e) => onChange({ ...c, member_of: { audience: e.target.value } })}>
            <option value="" disabled>choose an audience</option>
            {target.audience !== "" && !ctx.audiences!.some((a) => a.id === target.audience) && <option value={target.audience}>{target.audience} (unknown)</option>}
            {ctx.audiences!.map((a) => <option key={a.id} value={a.id}>{a.name} ({a.id})</option>)}
          </select>
        ) : (
          <input aria-label={`${prefix} audience id`} placeholder="audience id" value={target.audience} onChange={(e) => onChange({ ...c, member_of: { audience: e.target.value } })} />
        )
      ) : (
        <>
          <input aria-label={`${prefix} journey id`} list={`${prefix}-journeys`} placeholder="journey id" value={journeyId}
            onChange={(e) => onChange({ ...c, member_of: { journey: e.target.value, step: "journey" in target ? target.step : "" } })} />
          <datalist id={`${prefix}-journeys`}>{ctx.journeys.map((j) => <option key={j.id} value={j.id} />)}</datalist>
          <input aria-label={`${prefix} step id`} list={`${prefix}-steps`} placeholder="step id" value={"step" in target ? target.step : ""}
            onChange={(e) => onChange({ ...c, member_of: { journey: journeyId, step: e.target.value } })} />
          <datalist id={`${prefix}-steps`}>{steps.map((s) => <option key={s} value={s} />)}</datalist>
        </>
      )}
    </div>
  );
}

function ConsentEditor({ c, onChange, prefix }: { c: ConsentCriterion; onChange: (c: Criteria) => void; prefix: string }) {
  return (
    <div className="row crit-body">
      <input aria-label={`${prefix} consent purpose`} placeholder="purpose, e.g. email" value={c.consent} onChange={(e) => onChange({ ...c, consent: e.target.value })} />
      <select aria-label={`${prefix} consent state`} value={String(c.granted)} onChange={(e) => onChange({ ...c, granted: e.target.value === "true" })}>
        <option value="true">granted</option>
        <option value="false">not granted</option>
      </select>
    </div>
  );
}

function InputEditor({ c, onChange, prefix, ctx }: { c: InputCriterion; onChange: (c: Criteria) => void; prefix: string; ctx: BuilderContext }) {
  const all = Array.from(new Set([...ctx.inputs, ...c.input]));
  return (
    <fieldset className="row crit-body plain" aria-label={`${prefix} inputs`}>
      <legend className="muted">has events from</legend>
      {all.length === 0 && <span className="muted">No inputs are known yet: create one in the API first.</span>}
      {all.map((i) => (
        <label key={i} className="check">
          <input type="checkbox" checked={c.input.includes(i)}
            onChange={(e) => onChange({ input: e.target.checked ? [...c.input, i] : c.input.filter((x) => x !== i) })} />
          {i}
        </label>
      ))}
    </fieldset>
  );
}

/** One criterion with its kind picker; groups recurse. */
export function CriterionEditor({ value, onChange, onRemove, prefix, ctx, depth = 0 }: {
  value: Criteria;
  onChange: (c: Criteria) => void;
  onRemove?: () => void;
  prefix: string;
  ctx: BuilderContext;
  depth?: number;
}) {
  const kind = kindOf(value);
  return (
    <div className={`criterion depth-${depth % 3}`} role="group" aria-label={`${prefix} condition`}>
      <div className="row">
        <select aria-label={`${prefix} kind`} value={kind} onChange={(e) => onChange(defaultFor(e.target.value as CriterionKind))}>
          {(Object.keys(KIND_LABELS) as CriterionKind[]).map((k) => <option key={k} value={k}>{KIND_LABELS[k]}</option>)}
        </select>
        {onRemove && <button type="button" className="icon" aria-label={`Remove ${prefix} condition`} onClick={onRemove}>×</button>}
      </div>
      {kind === "event" && <EventEditor prefix={prefix} c={value as EventCriterion} onChange={onChange} />}
      {kind === "trait" && <TraitEditor prefix={prefix} c={value as TraitCriterion} onChange={onChange} />}
      {kind === "attribute" && <AttributeEditor prefix={prefix} c={value as AttributeCriterion} onChange={onChange} ctx={ctx} />}
      {kind === "member_of" && <MemberOfEditor prefix={prefix} c={value as MemberOfCriterion} onChange={onChange} ctx={ctx} />}
      {kind === "consent" && <ConsentEditor prefix={prefix} c={value as ConsentCriterion} onChange={onChange} />}
      {kind === "input" && <InputEditor prefix={prefix} c={value as InputCriterion} onChange={onChange} ctx={ctx} />}
      {kind === "everyone" && <p className="muted crit-body">Every profile.</p>}
      {kind === "not" && (
        <div className="group">
          <CriterionEditor prefix={`${prefix}.not`} ctx={ctx} depth={depth + 1} value={(value as { not: Criteria }).not} onChange={(c) => onChange({ not: c })} />
        </div>
      )}
      {(kind === "all" || kind === "any") && (
        <GroupEditor prefix={prefix} kind={kind} ctx={ctx} depth={depth}
          items={kind === "all" ? (value as { all: Criteria[] }).all : (value as { any: Criteria[] }).any}
          onChange={(items) => onChange(kind === "all" ? { all: items } : { any: items })} />
      )}
    </div>
  );
}

function GroupEditor({ items, onChange, prefix, ctx, depth, kind }: { items: Criteria[]; onChange: (c: Criteria[]) => void; prefix: string; ctx: BuilderContext; depth: number; kind: "all" | "any" }) {
  return (
    <div className="group">
      {items.length === 0 && <p className="muted">{kind === "all" ? "An empty “all” group always holds." : "An empty “any” group never holds."}</p>}
      {items.map((c, i) => (
        <CriterionEditor key={i} prefix={`${prefix}.${i + 1}`} ctx={ctx} depth={depth + 1} value={c}
          onChange={(n) => onChange(items.map((x, j) => (j === i ? n : x)))}
          onRemove={() => onChange(items.filter((_, j) => j !== i))} />
      ))}
      <div className="row">
        <button type="button" className="link" onClick={() => onChange([...items, { event: "" }])}>+ condition</button>
        <button type="button" className="link" onClick={() => onChange([...items, { all: [] }])}>+ group</button>
      </div>
    </div>
  );
}

/**
 * The builder: an optional criteria value with a visual editor and an "Edit as JSON" toggle.
 * JSON that does not parse is reported next to the text box and not applied.
 */
export function CriteriaBuilder({ label, value, onChange, ctx, optional = false }: {
  label: string;
  value: Criteria | undefined;
  onChange: (c: Criteria | undefined) => void;
  ctx: BuilderContext;
  optional?: boolean;
}) {
  const [asJson, setAsJson] = useState(false);
  const [text, setText] = useState("");
  const [err, setErr] = useState<string | null>(null);
  const errId = useId();
  const openJson = () => {
    setText(JSON.stringify(value ?? null, null, 2));
    setErr(null);
    setAsJson(true);
  };
  return (
    <section className="builder" aria-label={label}>
      <div className="row spread">
        <h4>{label}</h4>
        <label className="check">
          <input type="checkbox" checked={asJson} onChange={(e) => (e.target.checked ? openJson() : setAsJson(false))} />
          Edit as JSON
        </label>
      </div>
      {asJson ? (
        <>
          <textarea
            aria-label={`${label} JSON`}
            aria-invalid={err ? true : undefined}
            aria-describedby={err ? errId : undefined}
            rows={Math.min(18, Math.max(4, text.split("\n").length))}
            value={text}
            spellCheck={false}
            onChange={(e) => {
              setText(e.target.value);
              try {
                const v = JSON.parse(e.target.value) as Criteria | null;
                if (v !== null && (typeof v !== "object" || Array.isArray(v))) throw new Error("criteria are a JSON object");
                setErr(null);
                onChange(v ?? undefined);
              } catch (x) {
                setErr((x as Error).message);
              }
            }}
          />
          {err && <p id={errId} className="error-text" role="alert">Not applied: {err}</p>}
        </>
      ) : value === undefined ? (
        <div className="row">
          <span className="muted">{optional ? "None." : "No condition yet."}</span>
          <button type="button" className="link" onClick={() => onChange({ event: "" })}>+ add a condition</button>
        </div>
      ) : (
        <CriterionEditor prefix={label} value={value} onChange={onChange} ctx={ctx}
          onRemove={optional ? () => onChange(undefined) : undefined} />
      )}
      {value !== undefined && ctx.estimate && ctx.estimate.length > 0 && <LiveCount label={label} criteria={value} scopes={ctx.estimate} />}
    </section>
  );
}
