// One audience: its size, status, owner, definition and each connection's deliveries; edit
// it, delete it (the server's refusal shown next to the button), and its members.
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, call } from "../api/client";
import { ErrorBox, Loading } from "../components/common";
import { ownerLabel } from "../journey/model";
import { AudienceForm } from "./AudienceForm";
import { AudienceMembers } from "./AudienceMembers";
import { definitionOf, patchOf, type AudienceDefinition, type AudienceView } from "./model";

function when(t: string | undefined): string {
  if (!t) return "—";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}

export function AudienceDetail({ id }: { id: string }) {
  const qc = useQueryClient();
  const nav = useNavigate();
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const [deleteErr, setDeleteErr] = useState<unknown>(null);
  const q = useQuery({
    queryKey: ["audience", id],
    queryFn: () => call<AudienceView, "get">("get", "/api/audiences/{id}", { params: { id } }),
    refetchInterval: 3000,
  });
  const a = q.data;
  const save = async (d: AudienceDefinition) => {
    await call("patch", "/api/audiences/{id}", { params: { id }, body: patchOf(d) });
    setEditing(false);
    setSaved(true);
    await qc.invalidateQueries({ queryKey: ["audience", id] });
    await qc.invalidateQueries({ queryKey: ["audiences"] });
  };
  const remove = async () => {
    if (!window.confirm(`Delete the audience ${a?.name ?? id}? Its members and connections go with it.`)) return;
    setDeleteErr(null);
    try {
      await call("delete", "/api/audiences/{id}", { params: { id } });
      await qc.invalidateQueries({ queryKey: ["audiences"] });
      nav("/audiences");
    } catch (x) { setDeleteErr(x); }
  };
  const missing = q.error instanceof ApiError && q.error.status === 404;
  // The definition says how each connection sends; the figures, what it has sent.
  const connections = (a?.connections ?? []).map((c) => ({ ...c, deliveries: a?.stats?.connections.find((s) => s.id === c.id)?.deliveries }));
  return (
    <div className="page">
      <p className="small"><Link to="/audiences">← All audiences</Link></p>
      {q.isLoading && <Loading what={`audience ${id}`} />}
      {missing ? (
        <div className="empty" role="status"><p>There is no audience <strong>{id}</strong> (or this token cannot see it).</p></div>
      ) : <ErrorBox error={q.error} title={`Could not load audience ${id}`} />}
      {a && (
        <>
          <div className="page-head">
            <div>
              <h1>{a.name}</h1>
              <p className="muted">{a.description || "No description."}</p>
            </div>
            <div className="row">
              <button type="button" onClick={() => { setEditing(!editing); setSaved(false); }} aria-expanded={editing}>{editing ? "Close the editor" : "Edit"}</button>
              <button type="button" className="danger" onClick={remove}>Delete</button>
            </div>
          </div>
          <ErrorBox error={deleteErr} title="The audience was not deleted" />
          {saved && <div className="notice" role="status">Saved. Membership is worked out again under the new definition.</div>}
          <dl className="kpis" aria-label="Audience figures">
            <div><dt>Members now</dt><dd data-testid="audience-size">{a.size.toLocaleString()}</dd></div>
            <div><dt>Joined</dt><dd title="since the server started">{(a.stats?.entered ?? 0).toLocaleString()}</dd></div>
            <div><dt>Left</dt><dd title="since the server started">{(a.stats?.exited ?? 0).toLocaleString()}</dd></div>
            <div><dt>Status</dt><dd><span className={`badge aud-${a.status}`}>{a.status}</span></dd></div>
            <div><dt>Owner</dt><dd className="small">{ownerLabel(a.owner) || "—"}</dd></div>
          </dl>
          <dl className="facts">
            <dt>Id</dt><dd><code>{a.id}</code></dd>
            {a.key && <><dt>Output key</dt><dd><code>{a.key}</code></dd></>}
            <dt>Inputs</dt><dd className="small">{a.inputs?.length ? a.inputs.join(", ") : "every input of its owner"}</dd>
            <dt>Created</dt><dd className="small">{when(a.created_at)} · changed {when(a.updated_at)}</dd>
          </dl>
          <p className="muted small">Joined and left count since the server started.</p>
          {editing && <AudienceForm initial={definitionOf(a)} isNew={false} onSave={save} onCancel={() => setEditing(false)} />}
          <section className="card" aria-label="Connections">
            <h2>Connections</h2>
            {connections.length === 0 ? (
              <p className="muted">No connections: nothing hears of this audience. Edit it to connect an output.</p>
            ) : (
              <table className="table compact" aria-label="Connection deliveries">
                <thead><tr><th>Connection</th><th>Output</th><th>As</th><th>State</th><th className="num">Pending</th><th className="num">Delivered</th><th className="num">Dead</th></tr></thead>
                <tbody>
                  {connections.map((c) => (
                    <tr key={c.id}>
                      <td><code>{c.id}</code></td>
                      <td>{c.output}</td>
                      <td>{c.mode === "identify" ? "a trait" : c.mode === "list" ? "a list" : "events"}</td>
                      <td>{c.active ? "active" : "off"}</td>
                      <td className="num">{c.deliveries?.pending ?? 0}</td>
                      <td className="num">{c.deliveries?.delivered ?? 0}</td>
                      <td className="num">{c.deliveries?.dead ?? 0}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <details className="card">
            <summary>Criteria as JSON</summary>
            <pre>{JSON.stringify(a.criteria, null, 2)}</pre>
          </details>
          <AudienceMembers id={a.id} size={a.size} />
        </>
      )}
    </div>
  );
}
