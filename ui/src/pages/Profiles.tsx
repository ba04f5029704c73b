// Profiles: find a user of a workspace by an identifier; their identifiers, traits, consent,
// computed attributes, the audiences they are in and the journeys they entered (with the
// steps), and their events.
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { ApiError, call } from "../api/client";
import type { Workspace } from "../journey/model";
import { ErrorBox, Empty, Loading } from "../components/common";
import { ProfileAudiences } from "../profile/ProfileAudiences";
import { ProfileEvents } from "../profile/ProfileEvents";
import { when, type ProfileView } from "../profile/model";
import { ProfileJourneys } from "../profile/ProfileJourneys";

type Json = Record<string, unknown>;

/** A value as a marketer reads it: strings bare, everything else as JSON. */
function show(v: unknown): string {
  if (v === null || v === undefined) return "—";
  return typeof v === "string" ? v : JSON.stringify(v);
}


/** Consent as purpose → granted, whether the API gives booleans or objects with `granted`. */
function consentRows(c: unknown): [string, boolean | null, unknown][] {
  if (!c || typeof c !== "object") return [];
  const src = (c as Json).categoryPreferences && typeof (c as Json).categoryPreferences === "object" ? ((c as Json).categoryPreferences as Json) : (c as Json);
  return Object.entries(src).map(([k, v]) => {
    if (typeof v === "boolean") return [k, v, undefined];
    if (v && typeof v === "object" && typeof (v as Json).granted === "boolean") return [k, (v as Json).granted as boolean, (v as Json).at ?? (v as Json).since];
    return [k, null, v];
  });
}

export function Profiles() {
  const ws = useQuery({ queryKey: ["workspaces"], queryFn: () => call<Workspace[], "get">("get", "/api/workspaces") });
  const [params, setParams] = useSearchParams();
  const query = params.get("id") ? { ws: params.get("ws") ?? "", user: params.get("id")! } : null;
  const [workspace, setWorkspace] = useState(query?.ws ?? "");
  const [user, setUser] = useState(query?.user ?? "");
  // The profile, from the chosen workspace or, with "all workspaces", the first that has it.
  const profile = useQuery({
    queryKey: ["profile", query],
    enabled: query !== null && !!ws.data,
    retry: false,
    refetchInterval: 5000,
    queryFn: async (): Promise<{ ws: string; profile: ProfileView }> => {
      const candidates = query!.ws ? [query!.ws] : (ws.data ?? []).map((x) => x.id);
      for (const w of candidates) {
        try {
          return { ws: w, profile: await call<ProfileView, "get">("get", "/api/workspaces/{ws}/profiles/{user_id}", { params: { ws: w, user_id: query!.user } }) };
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 404)) throw e;
        }
      }
      throw new ApiError(404, "not_found", `no profile ${query!.user}`);
    },
  });
  const found = profile.data?.ws;
  const notFound = profile.error instanceof ApiError && profile.error.status === 404;
  // No exact identifier: every profile with an identifier (email included) containing the text.
  const matches = useQuery({
    queryKey: ["profile-matches", query],
    enabled: notFound && !!ws.data,
    queryFn: async (): Promise<{ ws: string; profile: ProfileView }[]> => {
      const candidates = query!.ws ? [query!.ws] : (ws.data ?? []).map((x) => x.id);
      const pages = await Promise.all(candidates.map(async (w) => {
        const page = await call<{ profiles: ProfileView[] }, "get">("get", "/api/workspaces/{ws}/profiles", { params: { ws: w }, query: { q: query!.user, limit: 20 } });
        return page.profiles.map((profile) => ({ ws: w, profile }));
      }));
      return pages.flat();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const id = user.trim();
    if (id) setParams(workspace ? { ws: workspace, id } : { id });
  };
  const wsName = (id: string | undefined) => ws.data?.find((x) => x.id === id)?.name ?? id;
  const p = profile.data?.profile;
  const traits = Object.entries(p?.traits ?? {});
  const attributes = Object.entries(p?.attributes ?? {});
  const consent = consentRows(p?.consent);
  const others = Object.entries(p?.identities ?? {}).filter(([k]) => !["user_id", "userId", "anonymous_id", "anonymousId", "anonymous_ids"].includes(k));
  return (
    <div className="page">
      <h1>Profiles</h1>
      <p className="muted">Look up a user by the user id or an anonymous id your apps send (matched exactly), or by part of any identifier, email included (ignoring case).</p>
      <form className="card row" onSubmit={submit} aria-label="Find a profile">
        <label className="field">Workspace
          <select value={workspace} onChange={(e) => setWorkspace(e.target.value)}>
            <option value="">All workspaces</option>
            {(ws.data ?? []).map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
          </select>
        </label>
        <label className="field grow">User id or anonymous id
          <input value={user} onChange={(e) => setUser(e.target.value)} required placeholder="e.g. user-00042 or a device's anonymous id" />
        </label>
        <button className="primary" type="submit">Find</button>
      </form>
      <ErrorBox error={ws.error} title="Could not load the workspaces" />
      {!query && (
        <Empty>
          <p>Type an identifier and press Find to see that user's identifiers, traits, consent, the journeys they are in and their latest events.</p>
          <p className="small">An exact user id or anonymous id opens that profile; otherwise every profile with an identifier (email included) containing what you typed is listed.</p>
        </Empty>
      )}
      {profile.isFetching && <Loading what={`profile ${query?.user}`} />}
      {notFound && matches.isFetching && <Loading what="matching profiles" />}
      <ErrorBox error={matches.error} title="Could not search the profiles" />
      {notFound && (matches.data?.length ?? 0) > 0 && (
        <div className="card" role="region" aria-label="Matching profiles">
          <p>No profile has the identifier <strong>{query?.user}</strong>; these contain it:</p>
          <ul>
            {matches.data!.map(({ ws: w, profile: m }) => {
              const id = m.user_id ?? m.anonymous_ids?.[0];
              return id ? (
                <li key={`${w}/${id}`}>
                  <Link to={`/profiles?ws=${encodeURIComponent(w)}&id=${encodeURIComponent(id)}`}>{id}</Link>
                  {" "}<span className="muted">{wsName(w)}{m.identities?.email ? ` · ${show(m.identities.email)}` : ""}</span>
                </li>
              ) : null;
            })}
          </ul>
        </div>
      )}
      {notFound && !profile.isFetching && !matches.isFetching && (matches.data?.length ?? 0) === 0 && (
        <div className="empty" role="status">
          <p>No profile <strong>{query?.user}</strong> in {query?.ws ? wsName(query.ws) : "any workspace"}.</p>
          <p className="small">Check the workspace and the exact spelling: a user appears here once their first message has been accepted. Profiles deleted for privacy are gone from every view.</p>
        </div>
      )}
      {!notFound && <ErrorBox error={profile.error} title="Could not load the profile" />}
      {p && query && found && (
        <div className="grid2 profile-grid">
          <div>
            <section className="card" aria-label="Profile">
              <h2>{p.user_id ?? p.anonymous_ids?.[0] ?? query.user} <span className="muted small">in {wsName(found)}</span></h2>
              <dl className="facts">
                <dt>User id</dt><dd>{p.user_id ? <code>{p.user_id}</code> : <span className="muted">anonymous (no user id yet)</span>}</dd>
                <dt>Anonymous ids</dt><dd>{(p.anonymous_ids ?? []).length ? p.anonymous_ids!.map((a) => <code key={a} className="id-chip">{a}</code>) : <span className="muted">none</span>}</dd>
                {others.map(([k, v]) => <FactRow key={k} k={k} v={v} />)}
                <dt>First seen</dt><dd>{when(p.first_seen)}</dd>
                <dt>Last seen</dt><dd>{when(p.last_seen)}</dd>
                <dt>Events</dt><dd>{(p.event_count ?? 0).toLocaleString()}</dd>
                {(p.merged_profiles ?? 0) > 0 && <><dt>Merged profiles</dt><dd>{p.merged_profiles}</dd></>}
              </dl>
            </section>
            <section className="card" aria-labelledby="traits-h">
              <h2 id="traits-h">Traits</h2>
              {traits.length === 0 ? <p className="muted">No traits: this user has not been identified with any.</p> : (
                <table className="table compact" aria-label="Traits">
                  <thead><tr><th>Trait</th><th>Value</th><th>Since</th></tr></thead>
                  <tbody>
                    {traits.map(([k, v]) => <tr key={k}><td><code>{k}</code></td><td>{show(v)}</td><td className="muted small">{when(p.trait_since?.[k])}</td></tr>)}
                  </tbody>
                </table>
              )}
            </section>
            <section className="card" aria-labelledby="attributes-h">
              <h2 id="attributes-h">Computed attributes</h2>
              {attributes.length === 0 ? <p className="muted">This workspace defines no computed attributes. <Link to="/attributes">Define one</Link>.</p> : (
                <table className="table compact" aria-label="Computed attributes">
                  <thead><tr><th>Attribute</th><th>Value now</th></tr></thead>
                  <tbody>
                    {attributes.map(([k, v]) => <tr key={k}><td><code>{k}</code></td><td>{v === null ? <span className="muted">missing (no matching event)</span> : show(v)}</td></tr>)}
                  </tbody>
                </table>
              )}
            </section>
            <section className="card" aria-labelledby="consent-h">
              <h2 id="consent-h">Consent</h2>
              {consent.length === 0 ? <p className="muted">No consent recorded: criteria on consent treat every purpose as not granted.</p> : (
                <table className="table compact" aria-label="Consent">
                  <thead><tr><th>Purpose</th><th>Granted</th></tr></thead>
                  <tbody>
                    {consent.map(([k, g, extra]) => (
                      <tr key={k}><td><code>{k}</code></td>
                        <td>{g === null ? show(extra) : <span className={`badge ${g ? "st-published" : "st-stopped"}`}>{g ? "granted" : "not granted"}</span>}{g !== null && extra ? <span className="muted small"> {when(extra)}</span> : null}</td></tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </div>
          <div>
            <ProfileAudiences audiences={p.audiences ?? []} />
            <ProfileJourneys journeys={p.journeys ?? []} />
            <ProfileEvents ws={found} user={query.user} total={p.event_count ?? 0} />
          </div>
        </div>
      )}
    </div>
  );
}

function FactRow({ k, v }: { k: string; v: unknown }) {
  const values = Array.isArray(v) ? v : [v];
  return <><dt>{k}</dt><dd>{values.map((x, i) => <code key={i} className="id-chip">{show(x)}</code>)}</dd></>;
}
