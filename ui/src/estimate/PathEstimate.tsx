// The step panel's estimate of the selected step on its path (the server's journey estimate:
// the guards from the entry down to it), and a milestone's figure per top-level condition.
import type { Criteria } from "../journey/model";
import { EstimateBadge } from "./EstimateBadge";
import { criterionLabel, topLevelCriteria, type Estimate } from "./model";

export function PathEstimate({ size, criteria, parts, stale }: { size?: Estimate; criteria?: Estimate[]; parts?: Criteria; stale: boolean }) {
  const labels = topLevelCriteria(parts);
  return (
    <section className="subsection path-estimate" aria-label="Step size estimate">
      <div className="row">
        <span className="muted small">{size && "count" in size ? "Users in this step now:" : "Estimated users reaching this step:"}</span>
        <EstimateBadge estimate={size} stale={stale} testId="panel-estimate" withReason />
      </div>
      {criteria && criteria.length > 0 && (
        <ol className="criterion-estimates small" aria-label="Estimates per condition on this path">
          {criteria.map((e, i) => (
            <li key={i}><span className="muted">{labels[i] ? criterionLabel(labels[i]!) : `condition ${i + 1}`} on this path</span> <EstimateBadge estimate={e} stale={stale} /></li>
          ))}
        </ol>
      )}
      {stale && <p className="muted small">Of the saved version: save to update. The live count under the criteria follows your typing.</p>}
    </section>
  );
}
