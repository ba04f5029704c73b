// Outputs: create them, see their delivery counts, the deliveries by status, replay dead
// ones, and re-enable a disabled output.
import { useState, type FormEvent } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { call, download } from "../api/client";
import { ownerLabel, type Output } from "../journey/model";
import { Empty, ErrorBox, Loading } from "../components/common";

interface Delivery { id: string; status?: string; attempts?: unknown; last_error?: string | null; [k: string]: unknown }

function Deliveries({ output }: { output: Output }) {
  const [status, setStatus] = useState("dead");
  const [err, setErr] = useState<unknown>(null);
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ["deliveries", output.id, status],
    queryFn: () => call<{ deliveries: Delivery[] } | Delivery[], "get">("get", "/api/outputs/{id}/deliveries", { params: { id: output.id }, query: { status, limit: 50 } }),
    refetchInterval: 3000,
  });
  const list = Array.isArray(q.data) ? q.data : q.data?.deliveries ?? [];
  return (
    <div className="deliveries">
      <label className="row">Show deliveries that are
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          {["pending", "delivered", "dead", "discarded"].map((s) => <option key={s}>{s}</option>)}
        </select>
      </label>
      <ErrorBox error={q.error ?? err} title="Deliveries" />
      {q.isLoading && <Loading what="deliveries" />}
      {q.data && list.length === 0 && <p className="muted small">No {status} deliveries.</p>}
      {list.length > 0 && (
        <table className="table compact">
          <thead><tr><th>Delivery</th><th>Details</th><th /></tr></thead>
          <tbody>
            {list.map((d) => (
              <tr key={d.id}>
                <td><code className="small">{d.id}</code></td>
                <td className="small"><details><summary>attempts and payload</summary><pre>{JSON.stringify(d, null, 2)}</pre></details></td>
                <td>
                  {(status === "dead" || status === "delivered") && (
                    <button type="button" onClick={async () => {
                      setErr(null);
                      try {
                        await call("post", "/api/deliveries/{id}/replay", { params: { id: d.id } });
                        await qc.invalidateQueries({ queryKey: ["deliveries", output.id] });
                        await qc.invalidateQueries({ queryKey: ["outputs"] });
                      } catch (x) { setErr(x); }
                    }}>Replay</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function CreateOutput({ onCreated }: { onCreated: (o: Output) => void }) {
  const [kind, setKind] = useState<Output["kind"]>("webhook");
  const [f, setF] = useState<Record<string, string>>({ id: "", name: "", url: "", endpoint: "", write_key: "", path: "" });
  const [err, setErr] = useState<unknown>(null);
  const set = (k: string) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErr(null);
    const body: Record<string, string> = { id: f.id!, kind };
    if (f.name) body.name = f.name;
    if (kind === "webhook") body.url = f.url!;
    if (kind === "segment") { body.endpoint = f.endpoint!; body.write_key = f.write_key!; }
    if (kind === "file") body.path = f.path!;
    try {
      onCreated(await call<Output, "post">("post", "/api/outputs", { body }));
      setF({ id: "", name: "", url: "", endpoint: "", write_key: "", path: "" });
    } catch (x) { setErr(x); }
  };
  return (
    <form className="card" onSubmit={submit} aria-label="Create an output">
      <h2>Create an output</h2>
      <div className="grid3">
        <label className="field">Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as Output["kind"])}>
            <option value="webhook">webhook (Standard Webhooks, signed)</option>
            <option value="segment">Segment-compatible endpoint</option>
            <option value="file">file (NDJSON)</option>
            <option value="list">list (kept by Waymark)</option>
          </select>
        </label>
        <label className="field">Output id<input required value={f.id} onChange={set("id")} pattern="[A-Za-z0-9_\-]+" /></label>
        <label className="field">Name<input value={f.name} onChange={set("name")} /></label>
        {kind === "webhook" && <label className="field span3">Webhook URL<input required type="url" value={f.url} onChange={set("url")} placeholder="https://example.com/hooks/waymark" /></label>}
        {kind === "segment" && <>
          <label className="field span2">Endpoint<input required type="url" value={f.endpoint} onChange={set("endpoint")} /></label>
          <label className="field">Write key<input required value={f.write_key} onChange={set("write_key")} /></label>
        </>}
        {kind === "file" && <label className="field span3">File path on the server<input required value={f.path} onChange={set("path")} /></label>}
      </div>
      <button className="primary" type="submit">Create output</button>
      <ErrorBox error={err} title="The output was not created" />
    </form>
  );
}

export function Outputs() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ["outputs"], queryFn: () => call<{ outputs: Output[] }, "get">("get", "/api/outputs"), refetchInterval: 3000 });
  const [open, setOpen] = useState<string | null>(null);
  const [created, setCreated] = useState<Output | null>(null);
  const [rotated, setRotated] = useState<Output | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const outputs = q.data?.outputs ?? [];
  return (
    <div className="page">
      <h1>Outputs</h1>
      <p className="muted">Where step audiences go: signed webhooks, Segment-compatible endpoints, NDJSON files and lists. Deliveries are at least once, retried, and kept as dead letters when they keep failing.</p>
      <CreateOutput onCreated={(o) => { setCreated(o); void qc.invalidateQueries({ queryKey: ["outputs"] }); }} />
      {created?.secret && <div className="notice" role="status">Output <code>{created.id}</code> created. Its signing secret is shown once: <code>{created.secret}</code></div>}
      {rotated?.secret && <div className="notice" role="status">New signing secret for <code>{rotated.id}</code>, shown once: <code>{rotated.secret}</code>. The previous one keeps working for a grace period.</div>}
      <ErrorBox error={q.error ?? err} title="Outputs" />
      {q.isLoading && <Loading what="outputs" />}
      {q.data && outputs.length === 0 && <Empty>No outputs yet. Create one above, then connect journey steps to it on the canvas.</Empty>}
      {outputs.length > 0 && (
        <table className="table" aria-label="Outputs">
          <thead><tr><th>Output</th><th>Kind</th><th className="num">Pending</th><th className="num">Delivered</th><th className="num">Dead</th><th>State</th><th /></tr></thead>
          <tbody>
            {outputs.map((o) => (
              <FragmentRow key={o.id} o={o} open={open === o.id} onOpen={() => setOpen(open === o.id ? null : o.id)}
                onEnable={async () => {
                  setErr(null);
                  try { await call("patch", "/api/outputs/{id}", { params: { id: o.id }, body: { disabled: false } }); await qc.invalidateQueries({ queryKey: ["outputs"] }); } catch (x) { setErr(x); }
                }}
                onRotate={async () => {
                  setErr(null);
                  try { setRotated(await call<Output, "post">("post", "/api/outputs/{id}/rotate", { params: { id: o.id }, body: {} })); } catch (x) { setErr(x); }
                }}
                onCsv={() => download("/api/outputs/{id}/members.csv", { id: o.id }, `${o.id}-members.csv`).catch(setErr)} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function FragmentRow({ o, open, onOpen, onEnable, onCsv, onRotate }: { o: Output; open: boolean; onOpen: () => void; onEnable: () => void; onCsv: () => void; onRotate: () => void }) {
  const c = o.deliveries ?? { pending: 0, delivered: 0, dead: 0 };
  return (
    <>
      <tr>
        <td><strong>{o.name ?? o.id}</strong><div className="muted small">{o.id} {o.url ?? o.endpoint ?? o.path ?? ""}</div></td>
        <td>{o.kind}<div className="muted small">{ownerLabel(o.owner)}</div></td>
        <td className="num">{c.pending}</td>
        <td className="num" data-testid={`delivered-${o.id}`}>{c.delivered}</td>
        <td className="num">{c.dead}</td>
        <td>{o.disabled ? <span className="badge st-stopped" title={o.disabled_reason ?? ""}>disabled</span> : <span className="badge st-published">enabled</span>}
          {o.disabled && <div className="small">{o.disabled_reason} <button type="button" onClick={onEnable}>Re-enable</button></div>}</td>
        <td className="row">
          <button type="button" aria-expanded={open} onClick={onOpen}>{open ? "Hide deliveries" : "Deliveries"}</button>
          {o.kind === "list" && <button type="button" onClick={onCsv}>Members CSV</button>}
          {o.kind === "webhook" && <button type="button" onClick={onRotate}>Rotate secret</button>}
        </td>
      </tr>
      {open && <tr><td colSpan={7}><Deliveries output={o} /></td></tr>}
    </>
  );
}
