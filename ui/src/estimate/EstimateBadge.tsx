// One estimate on the page: a figure with bounds, `~`, or a warning triangle whose reason is
// its tooltip and its accessible name (a triangle alone would say nothing to a screen reader).
import type { Estimate } from "./model";
import { showEstimate } from "./model";

/** `withReason` also writes an error's reason out, where there is room for a sentence. */
export function EstimateBadge({ estimate, testId, stale, withReason }: { estimate?: Estimate; testId?: string; stale?: boolean; withReason?: boolean }) {
  if (!estimate) return <span className="estimate muted" data-testid={testId} title="Estimating: an unfinished definition (a condition without its event, say) is estimated once it is complete">…</span>;
  const s = showEstimate(estimate);
  const title = stale ? `${s.title} (of the saved version: save to update)` : s.title;
  const badge = (
    <span className={`estimate est-${s.kind} ${stale ? "stale" : ""}`} data-testid={testId} data-kind={s.kind}
      title={title} aria-label={s.kind === "error" || s.kind === "approximate" ? title : undefined} role={s.kind === "error" || s.kind === "approximate" ? "img" : undefined}>
      {s.text}
    </span>
  );
  if (!withReason || (s.kind !== "error" && s.kind !== "approximate")) return badge;
  return <>{badge} <span className="est-reason small">{s.kind === "error" ? "error" in estimate ? estimate.error.message : "" : "small audience"}</span></>;
}
