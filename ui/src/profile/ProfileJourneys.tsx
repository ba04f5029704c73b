// The journeys a profile has entered (the profile API's `journeys`, per running version):
// whether it is in, held out as control, or has left; when it entered and left; whether it
// reached the goal; the step audiences it is in with since when, and where it is now.
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { ApiError, call } from "../api/client";
import { ErrorBox } from "../components/common";
import type { JourneyView } from "../journey/model";
import { walk } from "../journey/tree";
import { byJourney, when, type ProfileJourney } from "./model";

const STATUS: Record<ProfileJourney["status"], [string, string]> = {
  in: ["in the journey", "st-published"],
  control: ["in the control group (sent nothing)", "st-finishing"],
  out: ["left", "st-stopped"],
};

export function ProfileJourneys({ journeys }: { journeys: ProfileJourney[] }) {
  const groups = byJourney(journeys);
  const ids = groups.map((g) => g.id);
  // Journey and step names, from each journey's definition (a step an older version had
  // and the latest dropped shows its id).
  const names = useQuery({
    queryKey: ["journey-names", ids],
    enabled: ids.length > 0,
    queryFn: async () => {
      const views = await Promise.all(ids.map(async (id) => {
        try {
          return await call<JourneyView, "get">("get", "/api/journeys/{id}", { params: { id } });
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) return null;
          throw e;
        }
      }));
      return Object.fromEntries(views.filter((v) => v !== null).map((v) => [v.id, {
        name: v.name,
        steps: Object.fromEntries(walk(v.definition).map((l) => [l.step.id, l.step.name])),
      }]));
    },
  });
  const stepName = (journey: string, step: string) => names.data?.[journey]?.steps[step] ?? step;
  return (
    <section className="card" aria-label="Journeys">
      <h2>Journeys</h2>
      <ErrorBox error={names.error} title="Could not load the journeys' names" />
      {groups.length === 0 && <p className="muted">Never entered a running journey.</p>}
      {groups.map(({ id, versions }) => {
        const inNow = versions.filter((v) => v.status === "in" && v.at.length > 0);
        return (
          <div key={id} className="profile-journey">
            <div className="row spread">
              <Link to={`/journeys/${encodeURIComponent(id)}`}>{names.data?.[id]?.name ?? id}</Link>
              <span className={`badge ${STATUS[versions[0]!.status][1]}`}>{STATUS[versions[0]!.status][0]}</span>
            </div>
            {inNow.length > 0 && (
              <div className="small">Now at <strong data-testid={`now-${id}`}>
                {inNow.map((v) => v.at.map((s) => stepName(id, s.step)).join(", ") + (versions.length > 1 ? ` (v${v.version})` : "")).join("; ")}
              </strong></div>
            )}
            {versions.map((v) => (
              <div key={v.version} className="small">
                <div className="muted">
                  v{v.version}: {STATUS[v.status][0]} · entered {when(v.entered_at)}{v.entries > 1 ? ` (${v.entries} times)` : ""}
                  {v.left_at ? ` · left ${when(v.left_at)}` : ""}{v.goal_reached ? " · reached the goal" : ""}
                </div>
                {v.steps.length > 0 && (
                  <ol className="step-history" aria-label={`Steps of ${names.data?.[id]?.name ?? id} v${v.version}`}>
                    {v.steps.map((s) => (
                      <li key={s.step}>
                        {stepName(id, s.step)} <span className="muted small">since {when(s.since)}{v.at.some((a) => a.step === s.step) ? " · here now" : ""}</span>
                      </li>
                    ))}
                  </ol>
                )}
              </div>
            ))}
          </div>
        );
      })}
    </section>
  );
}
