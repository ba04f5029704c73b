// Define or change a computed attribute: its name (fixed once made), the event it reads,
// how it aggregates (and which property), an optional sliding window and property filters.
import { useState, type FormEvent } from "react";
import { ErrorBox } from "../components/common";
import { FiltersEditor, durationError } from "../components/CriteriaBuilder";
import { AGGREGATES, cleanAttribute, describe, needsProperty, type Aggregate, type AttributeDefinition } from "./model";

export function AttributeForm({ initial, isNew, onSave, onCancel }: {
  initial: AttributeDefinition;
  isNew: boolean;
  onSave: (d: AttributeDefinition) => Promise<void>;
  onCancel: () => void;
}) {
  const [d, setD] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const set = (patch: Partial<AttributeDefinition>) => setD({ ...d, ...patch });
  const windowErr = durationError(d.within);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try { await onSave(cleanAttribute(d)); } catch (x) { setErr(x); } finally { setBusy(false); }
  };
  return (
    <form className="card" onSubmit={submit} aria-label={isNew ? "Define a computed attribute" : `Edit attribute ${initial.name}`}>
      <h2>{isNew ? "Define a computed attribute" : `Edit ${initial.name}`}</h2>
      <div className="grid3">
        <label className="field">Attribute name
          <input value={d.name} disabled={!isNew} required pattern="[A-Za-z0-9_\-]+" title="letters, digits, - and _" onChange={(e) => set({ name: e.target.value })} placeholder="e.g. lifetime_value" />
        </label>
        <label className="field">Event
          <input value={d.event} required onChange={(e) => set({ event: e.target.value })} placeholder="e.g. Order Completed" />
        </label>
        <label className="field">Aggregate
          <select value={d.aggregate} onChange={(e) => set({ aggregate: e.target.value as Aggregate })}>
            {AGGREGATES.map(([a, words]) => <option key={a} value={a}>{a}: {words}</option>)}
          </select>
        </label>
        {needsProperty(d.aggregate) && (
          <label className="field">Property
            <input value={d.property ?? ""} required onChange={(e) => set({ property: e.target.value })} placeholder="e.g. revenue" />
          </label>
        )}
        <label className="field">Window (optional)
          <input value={d.within ?? ""} onChange={(e) => set({ within: e.target.value })} placeholder="e.g. 30d; empty: all history"
            aria-invalid={windowErr ? true : undefined} aria-describedby={windowErr ? "attr-window-err" : undefined} />
          {windowErr && <span id="attr-window-err" className="error-text" role="alert">{windowErr}</span>}
        </label>
      </div>
      <fieldset>
        <legend>Only events where</legend>
        <FiltersEditor prefix="Attribute" filters={d.where ?? []} onChange={(where) => set({ where })} />
      </fieldset>
      <p className="muted small">Reads: {describe(cleanAttribute(d))}. Every stored event is folded in before the answer; then it is kept live.</p>
      <div className="row">
        <button className="primary" type="submit" disabled={busy || !!windowErr}>{busy ? "Saving…" : isNew ? "Define attribute" : "Save attribute"}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
      <ErrorBox error={err} title={isNew ? "The attribute was not defined" : "The attribute was not saved"} />
    </form>
  );
}
