// Computed attributes of a workspace (SPEC §5): the list, defining one, changing one in
// place, and removal (refused, with the server's reason, while something reads it).
import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { call } from "../api/client";
import { Empty, ErrorBox, Loading } from "../components/common";
import type { Workspace } from "../journey/model";
import { AttributeForm } from "../attributes/AttributeForm";
import { blankAttribute, definitionOf, describe, type AttributeDefinition, type AttributeView } from "../attributes/model";

export function Attributes() {
  const workspaces = useQuery({ queryKey: ["workspaces"], queryFn: () => call<Workspace[], "get">("get", "/api/workspaces") });
  const [params, setParams] = useSearchParams();
  const ws = params.get("ws") ?? workspaces.data?.[0]?.id ?? "";
  return (
    <div className="page">
      <h1>Computed attributes</h1>
      <p className="muted">A value per user worked out from their events (how many orders, total spent, last plan chosen), kept live as events arrive and windows move. Criteria use one with <em>Computed attribute</em>; each profile shows its values.</p>
      <ErrorBox error={workspaces.error} title="Could not load the workspaces" />
      <label className="field narrow-field">Workspace
        <select value={ws} onChange={(e) => setParams({ ws: e.target.value })}>
          {(workspaces.data ?? []).map((w) => <option key={w.id} value={w.id}>{w.name}</option>)}
        </select>
      </label>
      {ws && <WorkspaceAttributes key={ws} ws={ws} />}
    </div>
  );
}

function WorkspaceAttributes({ ws }: { ws: string }) {
  const qc = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, unknown>>({});
  const q = useQuery({
    queryKey: ["attributes", ws],
    queryFn: () => call<{ attributes: AttributeView[] }, "get">("get", "/api/workspaces/{ws}/attributes", { params: { ws } }),
  });
  const list = q.data?.attributes ?? [];
  const refresh = async () => {
    await qc.invalidateQueries({ queryKey: ["attributes", ws] });
    await qc.invalidateQueries({ queryKey: ["attribute-names"] });
  };
  const create = async (d: AttributeDefinition) => {
    await call("post", "/api/workspaces/{ws}/attributes", { params: { ws }, body: d });
    setEditing(null);
    await refresh();
  };
  const save = (name: string) => async (d: AttributeDefinition) => {
    await call("patch", "/api/workspaces/{ws}/attributes/{name}", { params: { ws, name }, body: { ...d, within: d.within ?? null, property: d.property ?? null, where: d.where ?? [] } });
    setEditing(null);
    await refresh();
  };
  const remove = async (name: string) => {
    if (!window.confirm(`Delete the attribute ${name}? Its values are dropped.`)) return;
    setErrors({ ...errors, [name]: null });
    try {
      await call("delete", "/api/workspaces/{ws}/attributes/{name}", { params: { ws, name } });
      await refresh();
    } catch (x) { setErrors({ ...errors, [name]: x }); }
  };
  return (
    <>
      {editing === "" ? (
        <AttributeForm initial={blankAttribute()} isNew onSave={create} onCancel={() => setEditing(null)} />
      ) : (
        <button type="button" className="primary spaced" onClick={() => setEditing("")}>New attribute</button>
      )}
      <ErrorBox error={q.error} title="Could not load the attributes" />
      {q.isLoading && <Loading what="attributes" />}
      {q.data && list.length === 0 && editing !== "" && (
        <Empty>No computed attributes in this workspace. Press <strong>New attribute</strong>: name it, pick the event and how to add it up.</Empty>
      )}
      {list.length > 0 && (
        <table className="table" aria-label="Computed attributes">
          <thead><tr><th>Attribute</th><th>What it reads</th><th>Changed</th><th /></tr></thead>
          <tbody>
            {list.map((a) => (
              <AttributeRow key={a.name} a={a} editing={editing === a.name} error={errors[a.name]}
                onEdit={() => setEditing(editing === a.name ? null : a.name)} onSave={save(a.name)} onCancel={() => setEditing(null)} onDelete={() => void remove(a.name)} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function AttributeRow({ a, editing, error, onEdit, onSave, onCancel, onDelete }: {
  a: AttributeView; editing: boolean; error: unknown;
  onEdit: () => void; onSave: (d: AttributeDefinition) => Promise<void>; onCancel: () => void; onDelete: () => void;
}) {
  return (
    <>
      <tr>
        <td><code>{a.name}</code></td>
        <td>{describe(definitionOf(a))}</td>
        <td className="small muted">{a.updated_at ? new Date(a.updated_at).toLocaleString() : "—"}</td>
        <td>
          <div className="row">
            <button type="button" aria-expanded={editing} aria-label={`Edit ${a.name}`} onClick={onEdit}>Edit</button>
            <button type="button" className="danger" aria-label={`Delete ${a.name}`} onClick={onDelete}>Delete</button>
          </div>
          <ErrorBox error={error} title="Not deleted" />
        </td>
      </tr>
      {editing && <tr><td colSpan={4}><AttributeForm initial={definitionOf(a)} isNew={false} onSave={onSave} onCancel={onCancel} /></td></tr>}
    </>
  );
}
