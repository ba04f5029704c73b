// Entries over time, per hour or per day (UTC), of the journey and of its control group:
// a plain SVG line chart with the figures also in a table for screen readers.
import { bucketLabel, chartLines, type SeriesPoint } from "./model";

const W = 380, H = 110, PAD = 28;

export function EntriesChart({ series, bucket }: { series: SeriesPoint[]; bucket: "hour" | "day" }) {
  if (series.length === 0) return <p className="muted small">No entries yet.</p>;
  const { entered, control, max, dots } = chartLines(series, W - PAD - 6, H);
  const total = series.reduce((s, p) => s + p.entered, 0);
  const totalControl = series.reduce((s, p) => s + p.control, 0);
  return (
    <figure className="entries-chart">
      <svg viewBox={`0 0 ${W} ${H + 34}`} width="100%" role="img"
        aria-label={`Entries per ${bucket}: ${total} entered and ${totalControl} held in control over ${series.length} ${bucket}s`}>
        <g transform={`translate(${PAD},6)`}>
          <line x1={0} y1={H} x2={W - PAD - 6} y2={H} stroke="#cbd5e1" />
          <line x1={0} y1={0} x2={0} y2={H} stroke="#cbd5e1" />
          <text x={-4} y={8} textAnchor="end" fontSize="10" fill="#4b5563">{max}</text>
          <text x={-4} y={H} textAnchor="end" fontSize="10" fill="#4b5563">0</text>
          <polyline points={entered} fill="none" stroke="#4f46e5" strokeWidth="2" />
          <polyline points={control} fill="none" stroke="#b45309" strokeWidth="2" strokeDasharray="4 3" />
          {series.length <= 72 && dots.map((d, i) => (
            <g key={i}>
              <circle cx={d.x} cy={d.control} r="3" fill="#b45309" />
              <circle cx={d.x} cy={d.entered} r="3" fill="#4f46e5" />
            </g>
          ))}
          <text x={series.length > 1 ? 0 : (W - PAD - 6) / 2} y={H + 14} fontSize="10" textAnchor={series.length > 1 ? "start" : "middle"} fill="#4b5563">{bucketLabel(series[0]!.at, bucket)}</text>
          {series.length > 1 && <text x={W - PAD - 6} y={H + 14} fontSize="10" textAnchor="end" fill="#4b5563">{bucketLabel(series[series.length - 1]!.at, bucket)}</text>}
        </g>
        <g transform={`translate(${PAD},${H + 32})`} fontSize="10">
          <line x1={0} y1={-3} x2={14} y2={-3} stroke="#4f46e5" strokeWidth="2" /><text x={18} y={0} fill="#374151">entered</text>
          <line x1={80} y1={-3} x2={94} y2={-3} stroke="#b45309" strokeWidth="2" strokeDasharray="4 3" /><text x={98} y={0} fill="#374151">control</text>
        </g>
      </svg>
      <figcaption className="muted small" data-testid="entries-total">{total.toLocaleString()} entered, {totalControl.toLocaleString()} in control, per {bucket} (UTC)</figcaption>
    </figure>
  );
}
