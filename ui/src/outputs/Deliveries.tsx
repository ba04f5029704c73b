// An output's deliveries of one status, oldest first, a page at a time: open one to see its
// attempt log, send a dead (or delivered) one again, or every dead one at once.
import { useState, type ReactNode } from "react";
import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { call } from "../api/client";
import { ErrorBox, Loading } from "../components/common";
import type { Output } from "../journey/model";
import { DeliveryDetail } from "./DeliveryDetail";
import { at, recipient, type DeliveryPage, type DeliveryStatus } from "./delivery";

const STATUSES: DeliveryStatus[] = ["pending", "delivered", "dead", "discarded"];
const PAGE = 50;

export function Deliveries({ output }: { output: Output }) {
  const [status, setStatus] = useState<DeliveryStatus>((output.deliveries?.dead ?? 0) > 0 ? "dead" : "delivered");
  const [open, setOpen] = useState<string | null>(null);
  const [err, setErr] = useState<{ id: string; error: unknown } | null>(null);
  const [replayed, setReplayed] = useState<string | null>(null);
  const qc = useQueryClient();
  const q = useInfiniteQuery({
    queryKey: ["deliveries", output.id, status],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) =>
      call<DeliveryPage, "get">("get", "/api/outputs/{id}/deliveries", { params: { id: output.id }, query: { status, limit: PAGE, cursor: pageParam } }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 3000,
  });
  const list = q.data?.pages.flatMap((p) => p.deliveries) ?? [];
  const refresh = async () => {
    await qc.invalidateQueries({ queryKey: ["deliveries", output.id] });
    await qc.invalidateQueries({ queryKey: ["delivery"] });
    await qc.invalidateQueries({ queryKey: ["outputs"] });
  };
  const replayOne = async (id: string) => {
    setErr(null);
    setReplayed(null);
    try {
      await call("post", "/api/deliveries/{id}/replay", { params: { id } });
      setReplayed(`Delivery ${id} is sent again.`);
      await refresh();
    } catch (x) { setErr({ id, error: x }); }
  };
  const replayDead = async () => {
    setErr(null);
    setReplayed(null);
    try {
      const r = await call<{ replayed: number }, "post">("post", "/api/outputs/{id}/deliveries/replay", { params: { id: output.id }, body: {} });
      setReplayed(r.replayed === 0 ? "There was no dead delivery to send again." : `${r.replayed} dead deliver${r.replayed === 1 ? "y is" : "ies are"} sent again.`);
      await refresh();
    } catch (x) { setErr({ id: "all", error: x }); }
  };
  return (
    <div className="deliveries" role="region" aria-label={`Deliveries of ${output.name ?? output.id}`}>
      <div className="row spread">
        <label className="row">Show deliveries that are
          <select value={status} onChange={(e) => { setStatus(e.target.value as DeliveryStatus); setOpen(null); }}>
            {STATUSES.map((s) => <option key={s}>{s}</option>)}
          </select>
        </label>
        <button type="button" onClick={replayDead} disabled={(output.deliveries?.dead ?? 0) === 0}
          title={(output.deliveries?.dead ?? 0) === 0 ? "This output has no dead delivery" : undefined}>
          Replay all dead ({output.deliveries?.dead ?? 0})
        </button>
      </div>
      {err?.id === "all" && <ErrorBox error={err.error} title="The dead deliveries were not sent again" />}
      {replayed && <p className="small ok-text" role="status">{replayed}</p>}
      <ErrorBox error={q.error} title="Could not load the deliveries" />
      {q.isLoading && <Loading what="deliveries" />}
      {q.data && list.length === 0 && (
        <p className="muted small">No {status} deliveries.{status === "dead" ? " A delivery dies when its receiver keeps failing or refuses it for good." : ""}</p>
      )}
      {list.length > 0 && (
        <table className="table compact" aria-label={`${status} deliveries`}>
          <thead><tr><th>Delivery</th><th>For</th><th>Created</th><th className="num">Attempts</th><th>Last error</th><th /></tr></thead>
          <tbody>
            {list.map((d) => (
              <DeliveryRow key={d.id} id={d.id} open={open === d.id}>
                <td><code className="small">{d.id}</code></td>
                <td>{recipient(d)}</td>
                <td className="small">{at(d.created_at)}</td>
                <td className="num">{d.attempts}</td>
                <td className="small">{d.last_error ?? <span className="muted">—</span>}
                  {err?.id === d.id && <ErrorBox error={err.error} title="Not sent again" />}</td>
                <td className="row">
                  <button type="button" aria-expanded={open === d.id} aria-label={`Attempts of delivery ${d.id}`}
                    onClick={() => setOpen(open === d.id ? null : d.id)}>{open === d.id ? "Hide attempts" : "Attempts"}</button>
                  {(d.status === "dead" || d.status === "delivered") && (
                    <button type="button" aria-label={`Replay delivery ${d.id}`} onClick={() => void replayOne(d.id)}>Replay</button>
                  )}
                </td>
              </DeliveryRow>
            ))}
          </tbody>
        </table>
      )}
      {q.hasNextPage && (
        <button type="button" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
          {q.isFetchingNextPage ? "Loading more deliveries…" : "More deliveries"}
        </button>
      )}
    </div>
  );
}

/** A delivery's row and, when opened, its attempt log under it. */
function DeliveryRow({ id, open, children }: { id: string; open: boolean; children: ReactNode }) {
  return (
    <>
      <tr>{children}</tr>
      {open && <tr><td colSpan={6}><DeliveryDetail id={id} /></td></tr>}
    </>
  );
}
