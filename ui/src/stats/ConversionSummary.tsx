// Goal conversion of the journey against its control group (users held out at the entry,
// sent nothing), with each rate's interval and the uplift's: the figure that says whether
// the journey works.
import { VERDICT_TEXT, formatRate, formatRatio, formatUplift, verdict, type Conversion } from "./model";

export function ConversionSummary({ conversion }: { conversion?: Conversion }) {
  if (!conversion) return <p className="muted small">Goal conversion appears once the journey has a goal and entrants.</p>;
  const { journey, control, uplift } = conversion;
  const v = verdict(uplift);
  return (
    <section aria-label="Goal conversion and uplift">
      <table className="table compact">
        <thead><tr><th>Group</th><th className="num">Entered</th><th className="num">Reached goal</th><th>Conversion (95 % interval)</th></tr></thead>
        <tbody>
          <tr><td>Journey</td><td className="num">{journey.entries.toLocaleString()}</td><td className="num">{journey.goals.toLocaleString()}</td><td data-testid="rate-journey">{formatRate(journey.rate)}</td></tr>
          <tr><td>Control group</td><td className="num">{control.entries.toLocaleString()}</td><td className="num">{control.goals.toLocaleString()}</td><td data-testid="rate-control">{formatRate(control.rate)}</td></tr>
        </tbody>
      </table>
      <p className={`uplift uplift-${v}`}>
        <strong>Uplift over control:</strong> <span data-testid="uplift">{formatUplift(uplift)}</span>{" "}
        {formatRatio(uplift) && <span className="muted" data-testid="uplift-ratio">{formatRatio(uplift)} the control's rate</span>}
        <br /><span className="small">{VERDICT_TEXT[v]}</span>
      </p>
    </section>
  );
}
