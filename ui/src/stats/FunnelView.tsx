// A funnel along one path of the tree: pick the path (or click a step on the canvas), see
// how many entered each step and the share kept from the previous step and from the first.
import type { AnyStep } from "../journey/model";
import { formatShare, pathName } from "./model";
import type { Funnel } from "./api";

export function FunnelView({ paths, chosen, onChoose, funnel, loading }: {
  paths: AnyStep[][];
  chosen: number;
  onChoose: (i: number) => void;
  funnel?: Funnel;
  loading: boolean;
}) {
  const first = Math.max(1, funnel?.steps[0]?.entered ?? 1);
  return (
    <section aria-label="Funnel">
      <label className="field">Path
        <select value={chosen} onChange={(e) => onChoose(Number(e.target.value))}>
          {paths.map((p, i) => <option key={i} value={i}>{pathName(p)}</option>)}
        </select>
      </label>
      <p className="muted small">Or click a step on the canvas to follow the first path through it.</p>
      {loading && !funnel && <p className="muted">Loading the funnel…</p>}
      {funnel && (
        <ol className="funnel" aria-label="Users entering each step of the path">
          {funnel.steps.map((s, i) => (
            <li key={s.step} data-testid={`funnel-${s.step}`}>
              <div className="row spread small">
                <span>{s.name || s.step}</span>
                <span>
                  <strong>{s.entered.toLocaleString()}</strong>
                  {i > 0 && <span className="muted"> · {formatShare(s.conversion_from_previous)} of previous · {formatShare(s.conversion_from_first)} of first</span>}
                </span>
              </div>
              <div className="bar" aria-hidden="true"><span style={{ width: `${(100 * s.entered) / first}%` }} /></div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
