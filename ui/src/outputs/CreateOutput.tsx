// The form that creates an output of any kind: a signed webhook, a Segment-compatible
// endpoint, an NDJSON file on the server, or a list kept by Waymark.
import { useState, type FormEvent } from "react";
import { call } from "../api/client";
import type { Output } from "../journey/model";
import { ErrorBox } from "../components/common";

export function CreateOutput({ onCreated }: { onCreated: (o: Output) => void }) {
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
        {kind === "file" && <label className="field span3">File path on the server<input required value={f.path} onChange={set("path")} placeholder="/var/lib/waymark/exports/audience.ndjson" /></label>}
        {kind === "list" && <p className="span3 muted small">A list needs nothing more: Waymark keeps its members, served as JSON and CSV.</p>}
      </div>
      <button className="primary" type="submit">Create output</button>
      <ErrorBox error={err} title="The output was not created" />
    </form>
  );
}
