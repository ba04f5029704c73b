// Profiles: find a user by id in a workspace; traits, consent, identifiers and events.
import { useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { call } from "../api/client";
import type { Workspace } from "../journey/model";
import { ErrorBox, Loading } from "../components/common";

type Json = Record<string, unknown>;

export function Profiles() {
  const ws = useQuery({ queryKey: ["workspaces"], queryFn: () => call<Workspace[], "get">("get", "/api/workspaces") });
  const [workspace, setWorkspace] = useState("");
  const [user, setUser] = useState("");
  const [query, setQuery] = useState<{ ws: string; user: string } | null>(null);
  const w = workspace || ws.data?.[0]?.id || "";
  const profile = useQuery({
    queryKey: ["profile", query],
    enabled: query !== null,
    queryFn: () => call<Json, "get">("get", "/api/workspaces/{ws}/profiles/{user_id}", { params: { ws: query!.ws, user_id: query!.user } }),
  });
  const events = useQuery({
    queryKey: ["profile-events", query],
    enabled: query !== null && !!profile.data,
    queryFn: () => call<Json | Json[], "get">("get", "/api/workspaces/{ws}/profiles/{user_id}/events", { params: { ws: query!.ws, user_id: query!.user } }),
  });
  const submit = (e: FormEvent) => { e.preventDefault(); setQuery({ ws: w, user: user.trim() }); };
  const evList = Array.isArray(events.data) ? events.data : ((events.data?.events as Json[] | undefined) ?? []);
  const p = profile.data;
  return (
    <div className="page">
      <h1>Profiles</h1>
      <form className="card row" onSubmit={submit} aria-label="Find a profile">
        <label className="field">Workspace
          <select value={w} onChange={(e) => setWorkspace(e.target.value)}>
            {(ws.data ?? []).map((x) => <option key={x.id} value={x.id}>{x.name}</option>)}
          </select>
        </label>
        <label className="field grow">User id or anonymous id
          <input value={user} onChange={(e) => setUser(e.target.value)} required placeholder="user-00042" />
        </label>
        <button className="primary" type="submit">Find</button>
      </form>
      <ErrorBox error={ws.error ?? profile.error} title="Profile" />
      {profile.isFetching && <Loading what="the profile" />}
      {p && (
        <div className="grid2">
          <section className="card" aria-label="Profile">
            <h2>{String(p.user_id ?? p.userId ?? query?.user)}</h2>
            {Object.entries(p).filter(([k]) => !["traits", "consent", "events"].includes(k)).map(([k, v]) => (
              <div key={k} className="kv"><span className="muted">{k}</span> <code>{typeof v === "string" ? v : JSON.stringify(v)}</code></div>
            ))}
            <h3>Traits</h3>
            <pre>{JSON.stringify(p.traits ?? {}, null, 2)}</pre>
            <h3>Consent</h3>
            <pre>{JSON.stringify(p.consent ?? {}, null, 2)}</pre>
            <p className="muted small">Audiences and journey step history per profile appear when the profile API provides them.</p>
          </section>
          <section className="card" aria-label="Events">
            <h2>Events</h2>
            <ErrorBox error={events.error} title="Events" />
            {events.isLoading && <Loading what="events" />}
            {events.data && evList.length === 0 && <p className="muted">No events.</p>}
            <ol className="events">
              {evList.slice(0, 200).map((e, i) => (
                <li key={i}><strong>{String(e.event ?? e.name ?? e.type)}</strong> <span className="muted small">{String(e.timestamp ?? e.at ?? "")}</span>
                  <details><summary className="small">details</summary><pre>{JSON.stringify(e, null, 2)}</pre></details></li>
              ))}
            </ol>
          </section>
        </div>
      )}
    </div>
  );
}
