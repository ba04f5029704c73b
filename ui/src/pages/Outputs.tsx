// Outputs: create them, see their delivery counts, the deliveries by status, replay dead
// ones, and re-enable a disabled output.
import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { call } from "../api/client";
import type { Output } from "../journey/model";
import { Empty, ErrorBox, Loading } from "../components/common";
import { CreateOutput } from "../outputs/CreateOutput";
import { OutputRow } from "../outputs/OutputRow";

export function Outputs() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ["outputs"], queryFn: () => call<{ outputs: Output[] }, "get">("get", "/api/outputs"), refetchInterval: 3000 });
  const [open, setOpen] = useState<string | null>(null);
  const [created, setCreated] = useState<Output | null>(null);
  const [rotated, setRotated] = useState<Output | null>(null);
  const outputs = q.data?.outputs ?? [];
  return (
    <div className="page">
      <h1>Outputs</h1>
      <p className="muted">Where step audiences go: signed webhooks, Segment-compatible endpoints, NDJSON files and lists. Deliveries are at least once, retried, and kept as dead letters when they keep failing.</p>
      <CreateOutput onCreated={(o) => { setCreated(o); void qc.invalidateQueries({ queryKey: ["outputs"] }); }} />
      {created && <div className="notice" role="status">Output <code>{created.id}</code> ({created.kind}) created.{created.secret && <> Its signing secret is shown once: <code>{created.secret}</code></>}</div>}
      {rotated?.secret && <div className="notice" role="status">New signing secret for <code>{rotated.id}</code>, shown once: <code>{rotated.secret}</code>. The previous one keeps working for a grace period.</div>}
      <ErrorBox error={q.error} title="Outputs" />
      {q.isLoading && <Loading what="outputs" />}
      {q.data && outputs.length === 0 && <Empty>No outputs yet. Create one above, then connect journey steps to it on the canvas.</Empty>}
      {outputs.length > 0 && (
        <table className="table" aria-label="Outputs">
          <thead><tr><th>Output</th><th>Kind</th><th className="num">Pending</th><th className="num">Delivered</th><th className="num">Dead</th><th>State</th><th /></tr></thead>
          <tbody>
            {outputs.map((o) => (
              <OutputRow key={o.id} o={o} open={open === o.id} onOpen={() => setOpen(open === o.id ? null : o.id)} onRotated={setRotated} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
