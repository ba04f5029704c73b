// The criteria builder's live count: how many users meet the criteria now, and, when the
// criteria are several conditions (a top-level "all"), how many meet each one, so the one
// that narrows the audience most is easy to spot. Updated as the criteria are typed.
import type { Criteria } from "../journey/model";
import { EstimateBadge } from "./EstimateBadge";
import { criterionLabel, isComplete, topLevelCriteria, type EstimateScope } from "./model";
import { useLiveEstimates } from "./useLiveEstimates";

export function LiveCount({ label, criteria, scopes }: { label: string; criteria: Criteria; scopes: EstimateScope[] }) {
  const parts = topLevelCriteria(criteria);
  const several = "all" in criteria && parts.length > 1;
  const [whole, ...each] = useLiveEstimates(several ? [criteria, ...parts] : [criteria], scopes);
  const incomplete = !isComplete(criteria);
  return (
    <div className="live-count" role="group" aria-label={`${label} live count`} aria-live="polite">
      <div className="row">
        <span className="muted small">Users matching now:</span>
        {incomplete ? <span className="muted small">finish the conditions to count</span> : (
          <span className={whole?.pending ? "pending" : ""}><EstimateBadge estimate={whole?.estimate} testId="live-count" withReason /></span>
        )}
        {whole?.error ? <span className="error-text">count failed: {(whole.error as Error).message}</span> : null}
      </div>
      {several && (
        <ol className="criterion-estimates small" aria-label={`${label} per condition`}>
          {parts.map((c, i) => (
            <li key={i}>
              <span className="muted">{criterionLabel(c)}</span>{" "}
              <EstimateBadge estimate={each[i]?.estimate} testId={`live-count-${i + 1}`} />
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
