// The side panel for the selected step: name (with its limit), what the step does, its
// criteria, its connections, and removal.
import { useId } from "react";
import { ConnectionsEditor } from "./ConnectionsEditor";
import type { AnyStep, Branching, EntryStep, Journey, Output, Step, Wait } from "../journey/model";
import { LIMITS } from "../journey/model";
import { CriteriaBuilder, durationError, type BuilderContext } from "./CriteriaBuilder";
import { Counter } from "./common";
import type { Estimate } from "../estimate/model";
import { PathEstimate } from "../estimate/PathEstimate";
import { EntryPreview } from "../estimate/EntryPreview";

/** The branching modes of SPEC §7, in words. */
const BRANCHING: [Branching, string][] = [
  ["wait", "Wait until a path's condition holds"],
  ["decide", "Decide once, on arrival (split)"],
  ["all", "Every path whose condition holds"],
  ["random", "At random, by weight (A/B)"],
  ["live", "Live: move between paths as data changes"],
];

function Field({ label, children, error, hint }: { label: string; children: (id: string, describedBy?: string) => React.ReactNode; error?: string | null; hint?: React.ReactNode }) {
  const id = useId();
  const errId = `${id}-err`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, error ? errId : undefined)}
      {hint && <div className="muted small">{hint}</div>}
      {error && <div id={errId} className="error-text" role="alert">{error}</div>}
    </div>
  );
}

export function StepPanel({ journey, step, stepKey, onChange, onRemove, outputs, ctx, editable, liveNote, estimate, dirty = false }: {
  journey: Journey;
  step: AnyStep;
  stepKey?: string;
  onChange: (s: AnyStep) => void;
  onRemove: () => void;
  outputs: Output[];
  ctx: BuilderContext;
  editable: boolean;
  liveNote?: string;
  /** The step's size estimate (and a milestone's per condition) of the saved version. */
  estimate?: { size: Estimate; criteria?: Estimate[] };
  /** Unsaved edits: the estimate and the preview are of the saved version. */
  dirty?: boolean;
}) {
  const isEntry = step.id === "entry";
  const type = isEntry ? "entry" : (step as Step).type;
  const isRemaining = type === "remaining";
  const set = (patch: Partial<Step> | Partial<EntryStep>) => onChange({ ...step, ...patch } as AnyStep);
  const hasKids = (step.steps ?? []).length > 0;
  const usedIds = new Set<string>();
  const idsIn = (s: AnyStep) => { usedIds.add(s.id); (s.steps ?? []).forEach(idsIn); };
  idsIn(journey.entry);
  return (
    <aside className="panel" aria-label={`Step ${step.name}`}>
      <h2>{isEntry ? "Entry" : type === "remaining" ? "Remaining users" : step.name || "Step"}</h2>
      {liveNote && <p className="note">{liveNote}</p>}
      {isRemaining && <p className="note">The remaining-user path takes the users no other path took. It is always the rightmost path and has no conditions of its own.</p>}
      <PathEstimate size={estimate?.size} criteria={estimate?.criteria} parts={step.criteria} stale={dirty} />
      <fieldset disabled={!editable} className="plain">
        <Field label="Step name" error={step.name.length > LIMITS.stepName ? `At most ${LIMITS.stepName} characters` : step.name.trim() === "" ? "A step needs a name" : null}
          hint={<>id <code>{step.id}</code>{stepKey && <> · key <code>{stepKey}</code></>} · <Counter n={step.name.length} max={LIMITS.stepName} /></>}>
          {(id, d) => <input id={id} aria-describedby={d} value={step.name} onChange={(e) => set({ name: e.target.value })} />}
        </Field>
        {isEntry && <EntryFields entry={step as EntryStep} set={set} />}
        {isEntry || type === "milestone" ? (
          <CriteriaBuilder label={isEntry ? "Entry criteria" : "Milestone criteria"} value={step.criteria} ctx={ctx} optional={isEntry}
            onChange={(criteria) => set({ criteria })} />
        ) : null}
        {type === "wait" && <WaitFields wait={(step as Step).wait} onChange={(wait) => set({ wait })} />}
        {(step as Step).weight !== undefined && (
          <Field label="Weight (share of users)">
            {(id) => <input id={id} type="number" min={0} value={(step as Step).weight} onChange={(e) => set({ weight: Math.max(0, Number(e.target.value) || 0) })} />}
          </Field>
        )}
        {hasKids && (
          <Field label="How users move on to the paths below" hint="Paths are tried left to right; the remaining-user path takes who no other path took.">
            {(id) => (
              <select id={id} value={step.branching ?? "wait"} onChange={(e) => set({ branching: e.target.value as Branching })}>
                {BRANCHING.map(([b, text]) => <option key={b} value={b}>{text}</option>)}
              </select>
            )}
          </Field>
        )}
        {hasKids && (step.branching ?? "wait") === "wait" && (
          <Field label="Timeout (then the remaining path)" error={durationError(step.timeout)}>
            {(id, d) => <input id={id} aria-describedby={d} placeholder="e.g. 3d (optional)" value={step.timeout ?? ""} onChange={(e) => set({ timeout: e.target.value || undefined })} />}
          </Field>
        )}
      </fieldset>
      {isEntry && <EntryPreview journeyId={journey.id} dirty={dirty} />}
      <ConnectionsEditor owner={step.id} connections={step.connections ?? []} outputs={outputs} onChange={(connections) => set({ connections })}
        note={editable ? undefined : "On a published journey, connections can still be added, switched and removed."} />
      {!isEntry && editable && (
        <button type="button" className="danger" onClick={onRemove}>
          Delete this step{hasKids ? " and the steps below it" : ""}
        </button>
      )}
    </aside>
  );
}

function EntryFields({ entry, set }: { entry: EntryStep; set: (p: Partial<EntryStep>) => void }) {
  const re = entry.reentry ?? "never";
  const reKind = typeof re === "string" ? re : "cooldown";
  return (
    <div className="grid2">
      <Field label="Users enter">
        {(id) => (
          <select id={id} value={entry.live ? "live" : entry.on ?? "qualify"}
            onChange={(e) => {
              const v = e.target.value;
              set({ on: v === "event" ? "event" : "qualify", live: v === "live" ? true : undefined });
            }}>
            <option value="qualify">when they start matching</option>
            <option value="event">on each matching event</option>
            <option value="live">while they match (live)</option>
          </select>
        )}
      </Field>
      <Field label="Re-entry" error={typeof re === "object" ? durationError(re.cooldown) : null}>
        {(id, d) => (
          <span className="row">
            <select id={id} value={reKind} onChange={(e) => set({ reentry: e.target.value === "cooldown" ? { cooldown: "1d" } : (e.target.value as "never" | "after_exit") })}>
              <option value="never">never</option>
              <option value="after_exit">after exit</option>
              <option value="cooldown">after a cooldown</option>
            </select>
            {typeof re === "object" && <input aria-label="Re-entry cooldown" aria-describedby={d} className="short" value={re.cooldown} onChange={(e) => set({ reentry: { cooldown: e.target.value } })} />}
          </span>
        )}
      </Field>
      <Field label="Start at (optional)">
        {(id) => <input id={id} placeholder="2026-01-01T00:00:00Z" value={entry.start_at ?? ""} onChange={(e) => set({ start_at: e.target.value || undefined })} />}
      </Field>
      <Field label="End at (optional)">
        {(id) => <input id={id} placeholder="2026-12-31T00:00:00Z" value={entry.end_at ?? ""} onChange={(e) => set({ end_at: e.target.value || undefined })} />}
      </Field>
      <label className="check span2">
        <input type="checkbox" checked={entry.historical ?? false} onChange={(e) => set({ historical: e.target.checked || undefined })} />
        On publish, evaluate stored history (historical backfill)
      </label>
    </div>
  );
}

function WaitFields({ wait, onChange }: { wait?: Wait; onChange: (w: Wait) => void }) {
  const w = wait ?? { duration: "1d" };
  const until = "until" in w ? w.until : null;
  const kind = until === null ? "duration" : "at" in until ? "at" : "time" in until ? "time" : "trait";
  return (
    <div className="grid2">
      <Field label="Wait">
        {(id) => (
          <select id={id} value={kind} onChange={(e) => {
            const k = e.target.value;
            onChange(k === "duration" ? { duration: "1d" } : k === "at" ? { until: { at: "2026-12-31T09:00:00Z" } } : k === "time" ? { until: { time: "09:00" } } : { until: { trait: "", offset: "0s" } });
          }}>
            <option value="duration">for a duration</option>
            <option value="time">until a time of day</option>
            <option value="at">until a date</option>
            <option value="trait">until a trait's time</option>
          </select>
        )}
      </Field>
      {"duration" in w && (
        <Field label="Duration" error={durationError(w.duration) ?? (w.duration === "" ? "Required" : null)}>
          {(id, d) => <input id={id} aria-describedby={d} value={w.duration} onChange={(e) => onChange({ duration: e.target.value })} />}
        </Field>
      )}
      {until && "time" in until && (
        <Field label="Local time (HH:MM)" error={/^\d\d:\d\d$/.test(until.time) ? null : "HH:MM, e.g. 09:00"}>
          {(id, d) => <input id={id} aria-describedby={d} value={until.time} onChange={(e) => onChange({ until: { ...until, time: e.target.value } })} />}
        </Field>
      )}
      {until && "at" in until && (
        <Field label="Date and time (RFC 3339)">
          {(id) => <input id={id} value={until.at} onChange={(e) => onChange({ until: { at: e.target.value } })} />}
        </Field>
      )}
      {until && "trait" in until && (
        <>
          <Field label="Trait holding a time">
            {(id) => <input id={id} value={until.trait} onChange={(e) => onChange({ until: { ...until, trait: e.target.value } })} />}
          </Field>
          <Field label="Offset">
            {(id) => <input id={id} value={until.offset ?? ""} onChange={(e) => onChange({ until: { trait: until.trait, offset: e.target.value || undefined } })} />}
          </Field>
        </>
      )}
    </div>
  );
}
