// One delivery opened: where it stands, and its attempt log (each attempt's time, latency,
// the receiver's status and answer, and what came of it), read from `GET /api/deliveries/{id}`.
import { useQuery } from "@tanstack/react-query";
import { call } from "../api/client";
import { ErrorBox, Loading } from "../components/common";
import { OUTCOME, at, recipient, type Delivery } from "./delivery";

export function DeliveryDetail({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ["delivery", id],
    queryFn: () => call<Delivery, "get">("get", "/api/deliveries/{id}", { params: { id } }),
    refetchInterval: 3000,
  });
  const d = q.data;
  const log = d?.attempt_log ?? [];
  return (
    <div className="delivery-detail" role="region" aria-label={`Delivery ${id}`}>
      {q.isLoading && <Loading what="the delivery" />}
      <ErrorBox error={q.error} title="Could not load the delivery" />
      {d && (
        <>
          <p className="small">
            <span className={`badge dl-${d.status}`}>{d.status}</span> for <strong>{recipient(d)}</strong>
            {" · "}created {at(d.created_at)} · {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
            {d.status === "pending" && <> · next attempt {at(d.next_attempt_at)}</>}
            {d.message_id && <> · message id <code>{d.message_id}</code></>}
          </p>
          {log.length === 0 ? (
            <p className="muted small">No attempt yet: {d.status === "pending" ? "it is waiting for its first send." : "it was never sent."}</p>
          ) : (
            <table className="table compact" aria-label="Attempts">
              <thead><tr><th className="num">#</th><th>When</th><th className="num">Latency</th><th>HTTP status</th><th>Outcome</th><th>Error or answer</th></tr></thead>
              <tbody>
                {log.map((a, i) => (
                  <tr key={i}>
                    <td className="num">{i + 1}</td>
                    <td>{at(a.at)}</td>
                    <td className="num">{a.latency_ms} ms</td>
                    <td>{a.status ?? <span className="muted">no answer</span>}</td>
                    <td><span className={`badge at-${a.outcome}`}>{OUTCOME[a.outcome] ?? a.outcome}</span></td>
                    <td className="small">{a.error}{a.error && a.response ? " · " : ""}{a.response && <code>{a.response}</code>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <details className="small"><summary>Payload</summary><pre>{JSON.stringify(d.payload, null, 2)}</pre></details>
        </>
      )}
    </div>
  );
}
