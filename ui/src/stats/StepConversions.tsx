// Per step: how many entered, the share of the parent's entrants that came this way, and
// goal conversion with its interval and uplift over control, so branches can be compared.
import type { StepStats } from "../journey/model";
import { formatRate, formatShare, formatUplift, verdict } from "./model";

export function StepConversions({ steps, names }: { steps: StepStats[]; names: Record<string, string> }) {
  return (
    <table className="table compact" aria-label="Conversion per step">
      <thead><tr><th>Step</th><th className="num">Entered</th><th className="num">From parent</th><th>Goal conversion</th><th>Uplift vs control</th></tr></thead>
      <tbody>
        {steps.map((s) => (
          <tr key={s.step} data-step={s.step}>
            <td>{names[s.step] ?? s.step}</td>
            <td className="num">{s.entered.toLocaleString()}</td>
            <td className="num">{s.parent ? formatShare(s.conversion_from_parent) : ""}</td>
            <td className="small">{s.goals !== undefined ? <>{s.goals.toLocaleString()} · {formatRate(s.goal_rate)}</> : "—"}</td>
            <td className={`small uplift-${verdict(s.uplift)}`}>{formatUplift(s.uplift)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
