// Statistics of one version (SPEC §11): totals, goal conversion of the journey and of the
// control group with the uplift's interval, a funnel along a chosen path, entries over time,
// conversion per step, deliveries per connection with the last error, and each step's
// audience as CSV.
import { useEffect, useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { download } from "../api/client";
import type { Journey, JourneyStats } from "../journey/model";
import { Empty, ErrorBox } from "./common";
import { fetchEntries, fetchFunnel } from "../stats/api";
import { leafPaths, pathThrough, stepNames } from "../stats/model";
import { ConversionSummary } from "../stats/ConversionSummary";
import { FunnelView } from "../stats/FunnelView";
import { EntriesChart } from "../stats/EntriesChart";
import { StepConversions } from "../stats/StepConversions";
import { ConnectionDeliveries } from "../stats/ConnectionDeliveries";

export function StatsPanel({ journey, stats, version, pickedStep, outputNames = {} }: {
  journey: Journey;
  stats?: JourneyStats;
  version: number;
  /** A step clicked on the canvas: the funnel follows the first path through it. */
  pickedStep?: string | null;
  outputNames?: Record<string, string>;
}) {
  const [err, setErr] = useState<unknown>(null);
  const [bucket, setBucket] = useState<"hour" | "day">("hour");
  const paths = useMemo(() => leafPaths(journey), [journey]);
  const [chosen, setChosen] = useState(0);
  useEffect(() => {
    if (!pickedStep) return;
    const p = pathThrough(journey, pickedStep);
    if (p) setChosen(paths.findIndex((x) => x.map((s) => s.id).join() === p.map((s) => s.id).join()));
  }, [pickedStep, journey, paths]);
  const path = (paths[chosen] ?? paths[0] ?? []).map((s) => s.id);
  const v = stats?.versions.find((x) => x.version === version);
  const names = useMemo(() => stepNames(journey), [journey]);
  const funnel = useQuery({
    queryKey: ["funnel", journey.id, version, path.join(",")],
    enabled: !!v,
    queryFn: ({ signal }) => fetchFunnel(journey.id, path, version, signal),
    refetchInterval: 5000,
    retry: false,
  });
  const entries = useQuery({
    queryKey: ["entries", journey.id, bucket],
    enabled: !!v,
    queryFn: ({ signal }) => fetchEntries(journey.id, bucket, signal),
    refetchInterval: 5000,
    retry: false,
  });
  if (!stats) return <aside className="panel"><h2>Statistics</h2><Empty>Statistics appear once the journey is saved.</Empty></aside>;
  if (!v) return <aside className="panel"><h2>Statistics</h2><Empty>Version {version} has not run: statistics start when it is published.</Empty></aside>;
  const series = entries.data?.versions.find((x) => x.version === version)?.series ?? [];
  return (
    <aside className="panel" aria-label="Statistics">
      <h2>Statistics · v{version}</h2>
      <dl className="kpis">
        <div><dt>Entered</dt><dd data-testid="stat-entered">{v.entered.toLocaleString()}</dd></div>
        <div><dt>In journey</dt><dd>{v.in_journey.toLocaleString()}</dd></div>
        <div><dt>Exited</dt><dd>{v.exited.toLocaleString()}</dd></div>
        <div><dt>Reached goal</dt><dd>{v.goal.toLocaleString()}</dd></div>
        <div><dt>Control group</dt><dd data-testid="stat-control">{v.control.toLocaleString()}</dd></div>
      </dl>
      <h3>Goal conversion and uplift</h3>
      <ConversionSummary conversion={v.conversion} />
      <h3>Funnel</h3>
      <ErrorBox error={funnel.error} title="Could not load the funnel" />
      <FunnelView paths={paths} chosen={chosen} onChoose={setChosen} funnel={funnel.data} loading={funnel.isLoading} />
      <div className="row spread">
        <h3>Entries over time</h3>
        <label className="small">Per{" "}
          <select value={bucket} onChange={(e) => setBucket(e.target.value as "hour" | "day")} aria-label="Entries per">
            <option value="hour">hour</option>
            <option value="day">day</option>
          </select>
        </label>
      </div>
      <ErrorBox error={entries.error} title="Could not load entries over time" />
      {entries.data && <EntriesChart series={series} bucket={bucket} />}
      <h3>Conversion per step</h3>
      <StepConversions steps={v.steps} names={names} />
      <h3>Deliveries per connection</h3>
      <ConnectionDeliveries steps={v.steps} names={names} outputNames={outputNames} />
      <h3>Deliveries by output</h3>
      <table className="table compact">
        <thead><tr><th>Output</th><th className="num">Pending</th><th className="num">Delivered</th><th className="num">Dead</th></tr></thead>
        <tbody>
          {Object.entries(stats.deliveries_by_output).map(([o, c]) => (
            <tr key={o}><td>{outputNames[o] ?? o}</td><td className="num">{c.pending}</td><td className="num">{c.delivered}</td><td className="num">{c.dead}</td></tr>
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
