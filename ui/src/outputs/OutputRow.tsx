// One output in the outputs table: its delivery counts and state, and its actions (each
// action's error shown in the row); opened, its deliveries under it.
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { call, download } from "../api/client";
import { ErrorBox } from "../components/common";
import { ownerLabel, type Output } from "../journey/model";
import { Deliveries } from "./Deliveries";

export function OutputRow({ o, open, onOpen, onRotated }: { o: Output; open: boolean; onOpen: () => void; onRotated: (o: Output) => void }) {
  const qc = useQueryClient();
  const [err, setErr] = useState<{ what: string; error: unknown } | null>(null);
  const c = o.deliveries ?? { pending: 0, delivered: 0, dead: 0 };
  const act = (what: string, f: () => Promise<void>) => async () => {
    setErr(null);
    try { await f(); } catch (x) { setErr({ what, error: x }); }
  };
  const enable = act("The output was not re-enabled", async () => {
    await call("patch", "/api/outputs/{id}", { params: { id: o.id }, body: { disabled: false } });
    await qc.invalidateQueries({ queryKey: ["outputs"] });
  });
  const rotate = act("The secret was not rotated", async () => {
    onRotated(await call<Output, "post">("post", "/api/outputs/{id}/rotate", { params: { id: o.id }, body: {} }));
  });
  const csv = act("The members were not downloaded", () => download("/api/outputs/{id}/members.csv", { id: o.id }, `${o.id}-members.csv`));
  return (
    <>
      <tr>
        <td><strong>{o.name ?? o.id}</strong><div className="muted small">{o.id} {o.url ?? o.endpoint ?? o.path ?? ""}</div></td>
        <td data-testid={`kind-${o.id}`}>{o.kind}<div className="muted small">{ownerLabel(o.owner)}</div></td>
        <td className="num" data-testid={`pending-${o.id}`}>{c.pending}</td>
        <td className="num" data-testid={`delivered-${o.id}`}>{c.delivered}</td>
        <td className="num" data-testid={`dead-${o.id}`}>{c.dead}</td>
        <td>{o.disabled ? <span className="badge st-stopped" title={o.disabled_reason ?? ""}>disabled</span> : <span className="badge st-published">enabled</span>}
          {o.disabled && <div className="small">{o.disabled_reason} <button type="button" onClick={enable}>Re-enable</button></div>}</td>
        <td>
          <div className="row">
            <button type="button" aria-expanded={open} onClick={onOpen}>{open ? "Hide deliveries" : "Deliveries"}</button>
            {o.kind === "list" && <button type="button" onClick={csv}>Members CSV</button>}
            {o.kind === "webhook" && <button type="button" onClick={rotate}>Rotate secret</button>}
          </div>
          {err && <ErrorBox error={err.error} title={err.what} />}
        </td>
      </tr>
      {open && <tr><td colSpan={7}><Deliveries output={o} /></td></tr>}
    </>
  );
}
