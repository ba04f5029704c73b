// An audience's members, a page at a time ("More members" follows `next_cursor`), with a
// link to each profile and the whole list as CSV.
import { useState } from "react";
import { Link } from "react-router-dom";
import { useInfiniteQuery } from "@tanstack/react-query";
import { call, download } from "../api/client";
import { ErrorBox, Loading } from "../components/common";
import type { Member, MembersPage } from "./model";

const PAGE = 50;

function when(t: unknown): string {
  if (typeof t !== "string" || !t) return "—";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}

/** The identifier a profile is found by: the user id, else the anonymous id, else the key. */
function who(m: Member): string {
  return m.user_id ?? m.anonymous_id ?? m.key;
}

export function AudienceMembers({ id, size }: { id: string; size: number }) {
  const [csvErr, setCsvErr] = useState<unknown>(null);
  const q = useInfiniteQuery({
    queryKey: ["audience-members", id],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) => call<MembersPage, "get">("get", "/api/audiences/{id}/members", { params: { id }, query: { limit: PAGE, cursor: pageParam } }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 3000,
  });
  const members = q.data?.pages.flatMap((p) => p.members) ?? [];
  return (
    <section className="card" aria-label="Members">
      <div className="row spread">
        <h2>Members</h2>
        <button type="button" onClick={() => { setCsvErr(null); download("/api/audiences/{id}/members.csv", { id }, `${id}-members.csv`).catch(setCsvErr); }}>⤓ Members as CSV</button>
      </div>
      <ErrorBox error={csvErr} title="The CSV was not downloaded" />
      {q.isLoading && <Loading what="members" />}
      <ErrorBox error={q.error} title="Could not load the members" />
      {q.data && members.length === 0 && (
        <p className="muted">No members now. A user joins the moment the criteria hold for them (after their next event, or when a time window moves) and leaves when they stop holding.</p>
      )}
      {members.length > 0 && (
        <>
          <p className="muted small">{members.length.toLocaleString()} of {Math.max(size, members.length).toLocaleString()} shown.</p>
          <table className="table compact" aria-label="Audience members">
            <thead><tr><th>User</th><th>Anonymous id</th><th>Workspace</th><th>Member since</th><th className="num">Times a member</th></tr></thead>
            <tbody>
              {members.map((m, i) => {
                const user = who(m);
                return (
                  <tr key={`${m.workspace}/${m.key}#${i}`}>
                    <td><Link to={`/profiles?ws=${encodeURIComponent(m.workspace)}&id=${encodeURIComponent(user)}`}>{m.user_id ?? "anonymous"}</Link></td>
                    <td>{m.anonymous_id ? <code>{m.anonymous_id}</code> : <span className="muted">—</span>}</td>
                    <td>{m.workspace}</td>
                    <td className="small">{when(m.entered_at)}</td>
                    <td className="num">{m.entry_number ?? 1}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      {q.hasNextPage && (
        <button type="button" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
          {q.isFetchingNextPage ? "Loading more members…" : "More members"}
        </button>
      )}
    </section>
  );
}
