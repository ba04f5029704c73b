// Each connection of each step with this journey's deliveries by status and its newest
// error, so a failing output is seen where it is used.
import type { StepStats } from "../journey/model";
import { DELIVERY_STATUSES, deliveryCounts } from "./model";

export function ConnectionDeliveries({ steps, names, outputNames }: { steps: StepStats[]; names: Record<string, string>; outputNames: Record<string, string> }) {
  const rows = steps.flatMap((s) => s.connections.map((c) => ({ s, c })));
  if (rows.length === 0) return <p className="muted small">No step has a connection.</p>;
  return (
    <table className="table compact" aria-label="Deliveries per connection">
      <thead><tr><th>Step → output</th>{DELIVERY_STATUSES.map((k) => <th key={k} className="num">{k[0]!.toUpperCase() + k.slice(1)}</th>)}</tr></thead>
      <tbody>
        {rows.map(({ s, c }) => {
          const n = deliveryCounts(c.deliveries);
          return (
            <tr key={`${s.step}/${c.id}`} data-testid={`deliveries-${c.id}`}>
              <td>
                {names[s.step] ?? s.step} → {outputNames[c.output] ?? c.output}{!c.active && <span className="muted small"> (off)</span>}
                {c.last_error && <div className="error-text" data-testid="last-error" title={c.last_error.at}>last error {new Date(c.last_error.at).toLocaleString()}: {c.last_error.message}</div>}
              </td>
              {DELIVERY_STATUSES.map((k) => <td key={k} className="num">{n[k].toLocaleString()}</td>)}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
