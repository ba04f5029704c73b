// Statistics of one version: totals, a funnel of users entering each step, goal and control,
// deliveries per output, and each step's audience as CSV.
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { download } from "../api/client";
import type { Journey, JourneyStats } from "../journey/model";
import { walk } from "../journey/tree";
import { Empty, ErrorBox } from "./common";
import { useState } from "react";

export function StatsPanel({ journey, stats, version }: { journey: Journey; stats?: JourneyStats; version: number }) {
  const [err, setErr] = useState<unknown>(null);
  const v = stats?.versions.find((x) => x.version === version);
  if (!stats) return <aside className="panel"><h2>Statistics</h2><Empty>Statistics appear once the journey is saved.</Empty></aside>;
  if (!v) return <aside className="panel"><h2>Statistics</h2><Empty>Version {version} has not run: statistics start when it is published.</Empty></aside>;
  const names = Object.fromEntries(walk(journey).map((l) => [l.step.id, l.step.name]));
  const funnel = v.steps.map((s) => ({ step: names[s.step] ?? s.step, entered: s.entered }));
  return (
    <aside className="panel" aria-label="Statistics">
      <h2>Statistics · v{version}</h2>
      <dl className="kpis">
        <div><dt>Entered</dt><dd data-testid="stat-entered">{v.entered.toLocaleString()}</dd></div>
        <div><dt>In journey</dt><dd>{v.in_journey.toLocaleString()}</dd></div>
        <div><dt>Exited</dt><dd>{v.exited.toLocaleString()}</dd></div>
        <div><dt>Reached goal</dt><dd>{v.goal.toLocaleString()}</dd></div>
        <div><dt>Control group</dt><dd>{v.control.toLocaleString()}</dd></div>
      </dl>
      <h3>Funnel: users who entered each step</h3>
      <div style={{ height: Math.max(160, funnel.length * 30) }} aria-label="Funnel chart" role="img">
        <ResponsiveContainer>
          <BarChart data={funnel} layout="vertical" margin={{ left: 10, right: 20 }}>
            <CartesianGrid horizontal={false} stroke="#e5e7eb" />
            <XAxis type="number" allowDecimals={false} />
            <YAxis type="category" dataKey="step" width={140} tick={{ fontSize: 11 }} />
            <Tooltip />
            <Bar dataKey="entered" fill="#4f46e5" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      {v.entries_over_time ? null : <p className="muted small">Entries over time and goal uplift per branch appear when the statistics API provides them.</p>}
      <h3>Deliveries by output</h3>
      <table className="table compact">
        <thead><tr><th>Output</th><th className="num">Pending</th><th className="num">Delivered</th><th className="num">Dead</th></tr></thead>
        <tbody>
          {Object.entries(stats.deliveries_by_output).map(([o, c]) => (
            <tr key={o}><td>{o}</td><td className="num">{c.pending}</td><td className="num">{c.delivered}</td><td className="num">{c.dead}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Audiences as CSV</h3>
      <ErrorBox error={err} title="Download failed" />
      <ul className="plain-list">
        {v.steps.map((s) => (
          <li key={s.step}>
            <button type="button" className="link" onClick={() => download("/api/journeys/{id}/steps/{step}/audience.csv", { id: journey.id, step: s.step }, `${journey.id}-${s.step}.csv`).catch(setErr)}>
              ⤓ {names[s.step] ?? s.step}
            </button>{" "}
            <span className="muted small">{s.audience.toLocaleString()} {s.audience === 1 ? "user" : "users"} now</span>
          </li>
        ))}
      </ul>
    </aside>
  );
}
