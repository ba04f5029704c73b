// A profile's events, newest first, a page at a time: "Older events" follows the events
// API's `next_cursor` back through the profile's history.
import { useInfiniteQuery } from "@tanstack/react-query";
import { call } from "../api/client";
import { ErrorBox, Loading } from "../components/common";

/** One event as the events API shows it. */
export interface EventView {
  type: string;
  event?: string;
  messageId?: string | null;
  timestamp: string;
  receivedAt?: string;
  input?: string | null;
  timestamp_adjusted?: boolean;
  [k: string]: unknown;
}

interface EventsPage {
  events: EventView[];
  next_cursor: string | null;
}

/** Events per page. */
export const EVENTS_PAGE = 50;

function when(t: string | undefined): string {
  if (!t) return "—";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}

/** Pages (each oldest first, as the API answers) as one list, newest first. */
export function newestFirst(pages: EventsPage[]): EventView[] {
  return pages.flatMap((p) => [...p.events].reverse());
}

export function ProfileEvents({ ws, user, total }: { ws: string; user: string; total: number }) {
  const q = useInfiniteQuery({
    queryKey: ["profile-events", ws, user],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      call<EventsPage, "get">("get", "/api/workspaces/{ws}/profiles/{user_id}/events", {
        params: { ws, user_id: user },
        query: { limit: EVENTS_PAGE, cursor: pageParam },
      }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const list = newestFirst(q.data?.pages ?? []);
  return (
    <section className="card" aria-label="Events">
      <h2>Events</h2>
      {q.isLoading && <Loading what="events" />}
      {q.data && list.length === 0 && <p className="muted">No events: this profile only has identify calls or its events were erased.</p>}
      {list.length > 0 && (
        <p className="muted small" data-testid="events-shown">
          The latest {list.length.toLocaleString()} of {Math.max(total, list.length).toLocaleString()}, newest first.
        </p>
      )}
      <ul className="events plain-list">
        {list.map((e, i) => (
          <li key={`${e.messageId ?? ""}#${i}`}>
            <details>
              <summary>
                <strong>{e.event ?? e.type}</strong>{" "}
                <span className="muted small">
                  {when(e.timestamp)}
                  {e.input ? ` · ${e.input}` : ""}
                  {e.timestamp_adjusted ? " · time set on receipt (the sender's clock was off)" : ""}
                </span>
              </summary>
              <p className="small muted">Received {when(e.receivedAt)}{e.messageId ? <> · message id <code>{e.messageId}</code></> : null}</p>
              <pre>{JSON.stringify(e, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ul>
      <ErrorBox error={q.error} title="Could not load the events" />
      {q.hasNextPage && (
        <button type="button" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
          {q.isFetchingNextPage ? "Loading older events…" : "Older events"}
        </button>
      )}
      {q.data && !q.hasNextPage && list.length > 0 && <p className="muted small">That is every event of this profile.</p>}
    </section>
  );
}
