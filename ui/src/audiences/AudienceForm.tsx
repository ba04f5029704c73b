// Create or edit a standalone audience: name, id, description, the inputs whose events
// count, its criteria (the criteria builder) and its connections (the connection editor).
// The server's problems are listed under the form, each with the field it concerns.
import { useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { call } from "../api/client";
import { ErrorBox } from "../components/common";
import { ConnectionsEditor } from "../components/ConnectionsEditor";
import { CriteriaBuilder } from "../components/CriteriaBuilder";
import type { Output } from "../journey/model";
import { slug } from "../journey/tree";
import type { AudienceDefinition } from "./model";
import { useBuilderContext } from "./useBuilderContext";
import { scopesOf } from "../estimate/model";

export function AudienceForm({ initial, isNew, onSave, onCancel }: {
  initial: AudienceDefinition;
  isNew: boolean;
  onSave: (d: AudienceDefinition) => Promise<void>;
  onCancel?: () => void;
}) {
  const [d, setD] = useState(initial);
  const [idTouched, setIdTouched] = useState(!isNew);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const { ctx, inputs, error: ctxError } = useBuilderContext();
  const outputs = useQuery({ queryKey: ["outputs"], queryFn: () => call<{ outputs: Output[] }, "get">("get", "/api/outputs") });
  const id = idTouched ? d.id : slug(d.name);
  const set = (patch: Partial<AudienceDefinition>) => setD({ ...d, ...patch });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const body: AudienceDefinition = { ...d, id, name: d.name.trim() };
      if (!body.description) delete body.description;
      if (!body.inputs?.length) delete body.inputs;
      if (!body.connections?.length) delete body.connections;
      await onSave(body);
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-label={isNew ? "Create an audience" : `Edit audience ${initial.name}`}>
      <h2>{isNew ? "Create an audience" : `Edit ${initial.name}`}</h2>
      <div className="grid2">
        <label className="field">Audience name
          <input value={d.name} onChange={(e) => set({ name: e.target.value })} required />
        </label>
        <label className="field">Audience id
          <input value={id} disabled={!isNew} required pattern="[A-Za-z0-9_\-]+" title="letters, digits, - and _"
            onChange={(e) => { setIdTouched(true); set({ id: e.target.value }); }} />
        </label>
        <label className="field span2">Description
          <input value={d.description ?? ""} onChange={(e) => set({ description: e.target.value })} placeholder="optional: who this is and what it is for" />
        </label>
      </div>
      <fieldset>
        <legend>Inputs whose events count</legend>
        <p className="muted small">{isNew ? "None chosen: every input the audience's owner sees." : "Fixed when the audience was made."}</p>
        <ErrorBox error={ctxError} title="Could not load what the criteria can refer to" />
        {inputs.map((i) => {
          const ref = `${i.workspace}/${i.id}`;
          const on = (d.inputs ?? []).includes(ref);
          return (
            <label key={ref} className="check input-check">
              <input type="checkbox" checked={on} disabled={!isNew} onChange={(e) => set({ inputs: e.target.checked ? [...(d.inputs ?? []), ref] : (d.inputs ?? []).filter((x) => x !== ref) })} />
              {i.name} <span className="muted small">{ref}</span>
            </label>
          );
        })}
      </fieldset>
      <CriteriaBuilder label="Audience criteria" value={d.criteria} ctx={{ ...ctx, audiences: ctx.audiences?.filter((a) => a.id !== id), estimate: scopesOf(d.inputs, [...new Set(inputs.map((i) => i.workspace))]) }}
        onChange={(criteria) => set({ criteria: criteria ?? { event: "" } })} />
      <ErrorBox error={outputs.error} title="Could not load the outputs" />
      <ConnectionsEditor owner={id || "audience"} connections={d.connections ?? []} outputs={outputs.data?.outputs ?? []} onChange={(connections) => set({ connections })} />
      <div className="row">
        <button className="primary" type="submit" disabled={busy || !d.name.trim() || !id}>{busy ? "Saving…" : isNew ? "Create audience" : "Save audience"}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
      <ErrorBox error={err} title={isNew ? "The audience was not created" : "The audience was not saved"} />
    </form>
  );
}
