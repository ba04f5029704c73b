// The standalone audiences a profile is in now: each non-empty audience's members CSV,
// searched for this profile in its workspace.
import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { call } from "../api/client";
import { ErrorBox, Loading } from "../components/common";
import type { AudienceView } from "../audiences/model";
import { membershipIn, type Membership } from "./audiences";
import type { ProfileView } from "./membership";

function when(t: string): string {
  const d = new Date(t);
  return t === "" || Number.isNaN(d.getTime()) ? t || "—" : d.toLocaleString();
}

export function ProfileAudiences({ ws, profile }: { ws: string; profile: ProfileView }) {
  const q = useQuery({
    queryKey: ["profile-audiences", ws, profile.user_id, profile.anonymous_ids],
    queryFn: async (): Promise<{ in: { audience: AudienceView; m: Membership }[]; looked: number }> => {
      const { audiences } = await call<{ audiences: AudienceView[] }, "get">("get", "/api/audiences");
      const nonEmpty = audiences.filter((a) => a.size > 0);
      const found = await Promise.all(nonEmpty.map(async (audience) => {
        const csv = await call<string, "get">("get", "/api/audiences/{id}/members.csv", { params: { id: audience.id }, text: true });
        const m = membershipIn(csv, ws, profile);
        return m ? { audience, m } : null;
      }));
      return { in: found.filter((x) => x !== null), looked: audiences.length };
    },
  });
  return (
    <section className="card" aria-label="Audiences">
      <h2>Audiences</h2>
      {q.isLoading && <Loading what="the audiences this user is in" />}
      <ErrorBox error={q.error} title="Could not read the audiences' members" />
      {q.data && q.data.looked === 0 && <p className="muted">There are no standalone audiences yet: make one on the <Link to="/audiences">Audiences</Link> page.</p>}
      {q.data && q.data.looked > 0 && q.data.in.length === 0 && (
        <p className="muted">In no audience now ({q.data.looked} audience{q.data.looked === 1 ? "" : "s"} looked at).</p>
      )}
      {q.data && q.data.in.length > 0 && (
        <ul className="plain-list" aria-label="Audiences this user is in">
          {q.data.in.map(({ audience, m }) => (
            <li key={audience.id}>
              <Link to={`/audiences/${encodeURIComponent(audience.id)}`}>{audience.name}</Link>{" "}
              <span className="muted small">member since {when(m.entered_at)}{m.entry_number > 1 ? ` · joined ${m.entry_number} times` : ""}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
