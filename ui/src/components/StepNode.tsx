// One step on the canvas: its card (type, name, key, counts), its audience box (size and
// status) with its connections and their on/off switches, and the controls that continue or
// split the path below it.
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { useEffect, useRef, useState } from "react";
import type { AnyStep, Connection, StepType } from "../journey/model";
import { NODE_WIDTH } from "../journey/layout";
import type { Estimate } from "../estimate/model";
import { EstimateBadge } from "../estimate/EstimateBadge";
import { formatUplift, type Uplift } from "../stats/model";

export type AddKind = StepType;
export type SplitKind = "truefalse" | "multi" | "random";

export interface StepNodeData extends Record<string, unknown> {
  step: AnyStep;
  stepKey?: string;
  audience?: "estimated" | "calculating" | "active";
  /** Users at the step now and entered in total, when the journey has run. */
  stats?: { at: number; entered: number; audience: number };
  /** The estimator's size of the step (SPEC §10), shown until real counts replace it. */
  estimate?: Estimate;
  /** The estimate is of the saved version while the canvas has unsaved edits. */
  estimateStale?: boolean;
  /** The entry's control group (CleverTap shows it at the entry): users held out, and the uplift. */
  control?: { held: number; uplift?: Uplift | null };
  /** A milestone's estimate per top-level criterion. */
  criteriaEstimates?: Estimate[];
  problems: string[];
  selected: boolean;
  editable: boolean;
  outputNames: Record<string, string>;
  onSelect: (id: string) => void;
  onAdd: (parent: string, kind: AddKind) => void;
  onSplit: (id: string, kind: SplitKind) => void;
  onToggle: (step: string, connection: string, active: boolean) => void;
  toggling: string | null;
  /** The journey's inputs, shown on the entry. */
  inputs?: string[];
}

export type StepFlowNode = Node<StepNodeData, "step">;

const TYPE_LABEL: Record<string, string> = {
  entry: "Entry",
  milestone: "Milestone",
  remaining: "Remaining users",
  wait: "Wait",
  send: "Send",
  exit: "Exit",
};
const TYPE_ICON: Record<string, string> = { entry: "▶", milestone: "◆", remaining: "↳", wait: "◔", send: "✉", exit: "■" };

function describe(step: AnyStep): string {
  if (step.id === "entry") {
    const e = step as { on?: string; live?: boolean };
    return e.live ? "live audience" : e.on === "event" ? "enters on each matching event" : "enters on qualifying";
  }
  const s = step as { type: StepType; wait?: unknown; weight?: number };
  if (s.type === "wait" && s.wait) {
    const w = s.wait as { duration?: string; until?: Record<string, unknown> };
    if (w.duration) return `for ${w.duration}`;
    if (w.until) return `until ${Object.values(w.until).join(" ")}`;
  }
  if (s.weight !== undefined) return `weight ${s.weight}`;
  if (s.type === "remaining") return "users no other path took";
  return "";
}

function Menu({ label, items, onPick, disabled }: { label: string; items: [string, string][]; onPick: (k: string) => void; disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  const list = useRef<HTMLSpanElement>(null);
  // Opening moves the focus to the first choice, so the menu works from the keyboard.
  useEffect(() => {
    if (open) list.current?.querySelector<HTMLButtonElement>("button")?.focus();
  }, [open]);
  const short = label.startsWith("Add") ? (
    "+"
  ) : (
    <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
      <path d="M7 1v5M7 6L3 12M7 6l4 6" stroke="currentColor" strokeWidth="1.6" fill="none" strokeLinecap="round" />
    </svg>
  );
  return (
    <span className="menu nodrag nopan"
      onKeyDown={(e) => { if (e.key === "Escape") setOpen(false); }}
      onBlur={(e) => { if (!e.currentTarget.contains(e.relatedTarget as HTMLElement | null)) setOpen(false); }}>
      <button type="button" className="round" aria-label={label} title={label} aria-expanded={open} disabled={disabled}
        onClick={(e) => { e.stopPropagation(); setOpen(!open); }}>
        {short}
      </button>
      {open && (
        <span className="menu-list" role="menu" aria-label={label} ref={list}>
          {items.map(([k, text]) => (
            <button type="button" role="menuitem" key={k}
              onClick={(e) => { e.stopPropagation(); setOpen(false); onPick(k); }}>
              {text}
            </button>
          ))}
        </span>
      )}
    </span>
  );
}

function ConnectionRow({ c, step, d }: { c: Connection; step: string; d: StepNodeData }) {
  const busy = d.toggling === `${step}/${c.id}`;
  const name = d.outputNames[c.output] ?? c.output;
  return (
    <li className="conn">
      <span className="conn-name" title={`${c.id} → ${c.output} (${c.mode})`}>
        {name} <span className="muted">{c.mode}</span>
      </span>
      <button type="button" role="switch" aria-checked={c.active} disabled={busy}
        aria-label={`Connection ${c.id} to ${name} on ${d.step.name}`}
        className={`switch nodrag ${c.active ? "on" : ""}`}
        onClick={(e) => { e.stopPropagation(); d.onToggle(step, c.id, !c.active); }}>
        <span className="knob" />
        <span className="switch-text">{c.active ? "on" : "off"}</span>
      </button>
    </li>
  );
}

export function StepNode({ data: d }: NodeProps<StepFlowNode>) {
  const s = d.step;
  const type = s.id === "entry" ? "entry" : (s as { type: StepType }).type;
  const isLeaf = (s.steps ?? []).length === 0;
  // mParticle's "Remaining User Path": once a step has milestone paths, one more path can
  // take everyone the milestones did not.
  const canAddRemaining = (s.steps ?? []).some((c) => c.type === "milestone") && !(s.steps ?? []).some((c) => c.type === "remaining");
  const size = d.stats ? d.stats.audience.toLocaleString() : null;
  return (
    <div className={`step-node t-${type} ${d.selected ? "selected" : ""} ${d.problems.length ? "has-problems" : ""}`}
      style={{ width: NODE_WIDTH }} data-step={s.id}>
      {s.id !== "entry" && <Handle type="target" position={Position.Top} isConnectable={false} />}
      <button type="button" className="step-card nodrag" aria-label={`Step ${s.name} (${TYPE_LABEL[type]})`}
        aria-pressed={d.selected} onClick={() => d.onSelect(s.id)}>
        <span className="step-type"><span aria-hidden>{TYPE_ICON[type]}</span> {TYPE_LABEL[type]}</span>
        <span className="step-name">{s.name || <em>unnamed</em>}</span>
        <span className="step-desc">{describe(s)}</span>
        {d.inputs && (
          <span className="step-inputs" aria-label="Inputs">
            {d.inputs.length ? d.inputs.map((i) => <span key={i} className="chip">{i}</span>) : <span className="muted">all inputs</span>}
          </span>
        )}
        {d.stepKey && <span className="step-key" title="key sent to outputs">{d.stepKey}</span>}
      </button>
      <div className="audience" aria-label={`Audience of ${s.name}`}>
        <div className="row spread">
          {size !== null ? (
            <span>
              <span className="aud-size" data-testid={`count-${s.id}`}>{size}</span>{" "}
              <span className="muted">in audience</span>
            </span>
          ) : (
            <span>
              <span className="aud-size"><EstimateBadge estimate={d.estimate} stale={d.estimateStale} testId={`estimate-${s.id}`} /></span>{" "}
              <span className="muted">{!d.estimate ? "estimating" : "count" in d.estimate ? "in audience" : "error" in d.estimate ? "cannot estimate" : "approximate" in d.estimate ? "small audience" : "estimated"}</span>
            </span>
          )}
          {d.audience && <span className={`badge aud-${d.audience}`} title="audience status">{d.audience}</span>}
        </div>
        {d.stats && (
          <div className="muted small">
            <span data-testid={`at-${s.id}`}>{d.stats.at.toLocaleString()}</span> here now ·{" "}
            <span data-testid={`entered-${s.id}`}>{d.stats.entered.toLocaleString()}</span> entered
          </div>
        )}
        {size === null && d.criteriaEstimates && d.criteriaEstimates.length > 1 && (
          <div className="muted small node-criteria" role="group" aria-label={`Estimates per condition of ${s.name}`}>
            per condition:{" "}
            {d.criteriaEstimates.map((e, i) => <span key={i}>{i > 0 && " · "}<EstimateBadge estimate={e} stale={d.estimateStale} testId={`estimate-${s.id}-${i + 1}`} /></span>)}
          </div>
        )}
        {d.control && (
          <div className="small node-control" data-testid="entry-control">
            control group: <strong>{d.control.held.toLocaleString()}</strong> held out
            {d.control.uplift && <> · uplift <span title="goal conversion, journey − control, 95 % interval">{formatUplift(d.control.uplift)}</span></>}
          </div>
        )}
        <ul className="conns">
          {(s.connections ?? []).map((c) => <ConnectionRow key={c.id} c={c} step={s.id} d={d} />)}
          {(s.connections ?? []).length === 0 && <li className="muted small">no connections</li>}
        </ul>
      </div>
      {d.problems.length > 0 && (
        <ul className="node-problems" role="alert">
          {d.problems.map((p, i) => <li key={i}>⚠ {p}</li>)}
        </ul>
      )}
      {d.editable && (
        <div className="node-actions">
          <Menu label={`Add a step under ${s.name}`} onPick={(k) => d.onAdd(s.id, k as AddKind)}
            items={[["milestone", "Milestone (wait for condition)"], ["wait", "Wait"], ["send", "Send to outputs"], ["exit", "Exit"],
              ...(canAddRemaining ? [["remaining", "Remaining users path"] as [string, string]] : [])]} />
          {isLeaf && (
            <Menu label={`Split the path under ${s.name}`} onPick={(k) => d.onSplit(s.id, k as SplitKind)}
              items={[["truefalse", "True / false split"], ["multi", "Multi-branch split"], ["random", "Random split (A/B)"]]} />
          )}
        </div>
      )}
      {!isLeaf && <Handle type="source" position={Position.Bottom} isConnectable={false} />}
    </div>
  );
}
