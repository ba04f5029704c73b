import { useQueries, useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { call, ApiError } from "../api/client";
import { ownerLabel, type Account, type JourneyStats, type JourneySummary } from "../journey/model";
import { Empty, ErrorBox, Loading } from "../components/common";

/** Audience credits (SPEC §9), shown under the New Journey button as mParticle does. */
export function Credits() {
  const account = useQuery({ queryKey: ["account"], queryFn: () => call<Account, "get">("get", "/api/account"), refetchInterval: 5000 });
  if (account.error instanceof ApiError && account.error.status === 403) {
    return <p className="muted small">Audience credits are an account matter: sign in with an account token to see them.</p>;
  }
  if (account.error) return <ErrorBox error={account.error} title="Could not load the audience credits" />;
  if (!account.data) return <Loading what="audience credits" />;
  const a = account.data;
  const pct = a.active_audience_limit ? (a.activated_audiences / a.active_audience_limit) * 100 : 0;
  return (
    <div className="credits" aria-label="Audience credits">
      <div><strong data-testid="credits-activated">{a.activated_audiences}</strong> activated · <strong data-testid="credits-available">{a.available_audiences}</strong> available audiences</div>
      <div className="bar" role="meter" aria-label="Activated audiences" aria-valuemin={0} aria-valuemax={a.active_audience_limit} aria-valuenow={a.activated_audiences}>
        <span style={{ width: `${Math.min(100, pct)}%` }} />
      </div>
      <div className="muted small">of {a.active_audience_limit} audience credits: each active audience (a step with an active connection) uses one.</div>
    </div>
  );
}

export function JourneysList() {
  const list = useQuery({
    queryKey: ["journeys"],
    queryFn: () => call<{ journeys: JourneySummary[] }, "get">("get", "/api/journeys"),
    refetchInterval: 5000,
  });
  const journeys = list.data?.journeys ?? [];
  const stats = useQueries({
    queries: journeys.map((j) => ({
      queryKey: ["stats", j.id],
      queryFn: () => call<JourneyStats, "get">("get", "/api/journeys/{id}/stats", { params: { id: j.id } }),
      refetchInterval: 5000,
    })),
  });
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Journeys</h1>
          <p className="muted">Multi-step journeys: who enters, the paths they take, and the outputs that hear of each step.</p>
        </div>
        <div className="new-journey">
          <Link className="button primary" to="/journeys/new">New Journey</Link>
          <Credits />
        </div>
      </div>
      {list.isLoading && <Loading what="journeys" />}
      <ErrorBox error={list.error} title="Could not load the journeys" />
      {list.data && journeys.length === 0 && (
        <Empty>No journeys yet. <Link to="/journeys/new">Create the first one</Link>: pick the inputs whose events count, say who enters, and add steps on the canvas.</Empty>
      )}
      {journeys.length > 0 && (
        <table className="table" aria-label="Journeys">
          <thead>
            <tr><th>Name</th><th>Owner</th><th>Status</th><th>Version</th><th className="num">Entered</th><th className="num">In journey</th><th className="num">Credits</th></tr>
          </thead>
          <tbody>
            {journeys.map((j, i) => {
              const s = stats[i]?.data;
              const live = s?.versions.filter((v) => v.version <= j.version);
              const entered = live?.reduce((n, v) => n + v.entered, 0);
              const inJourney = live?.reduce((n, v) => n + v.in_journey, 0);
              return (
                <tr key={j.id}>
                  <td><Link to={`/journeys/${encodeURIComponent(j.id)}`}>{j.name}</Link><div className="muted small">{j.id}</div></td>
                  <td className="small">{ownerLabel(j.owner)}</td>
                  <td><span className={`badge st-${j.status}`}>{j.status}</span></td>
                  <td>v{j.version}{j.draft_version && j.draft_version !== j.version ? <span className="muted small"> · draft v{j.draft_version}</span> : null}</td>
                  <td className="num" data-testid={`entered-${j.id}`}>{entered?.toLocaleString() ?? "…"}</td>
                  <td className="num">{inJourney?.toLocaleString() ?? "…"}</td>
                  <td className="num">{j.credits ?? 0}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
