// "Preview" on the entry step: a sample of users who meet the saved entry criteria now, by
// their identifiers, each linked to their profile, so a builder can check the criteria pick
// the people they meant before publishing.
import { useState } from "react";
import { Link } from "react-router-dom";
import { call } from "../api/client";
import { ErrorBox } from "../components/common";
import type { Preview } from "./model";

export function EntryPreview({ journeyId, dirty }: { journeyId: string; dirty: boolean }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const load = async () => {
    setBusy(true);
    setErr(null);
    try {
      setPreview(await call<Preview, "get">("get", "/api/journeys/{id}/preview", { params: { id: journeyId } }));
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="subsection" aria-label="Entry preview">
      <div className="row spread">
        <h4>Who would enter</h4>
        <button type="button" onClick={load} disabled={busy}>{busy ? "Loading…" : "Preview"}</button>
      </div>
      <p className="muted small">Up to 20 sampled users who meet the saved entry criteria now.{dirty ? " Save first to preview your latest edits." : ""}</p>
      <ErrorBox error={err} title="The preview failed" />
      {preview && (preview.users.length === 0 ? <p className="muted">No sampled user meets the entry criteria now.</p> : (
        <table className="table compact" aria-label="Sampled users who would enter">
          <thead><tr><th>Workspace</th><th>User id</th><th>Anonymous id</th></tr></thead>
          <tbody>
            {preview.users.map((u) => (
              <tr key={`${u.workspace}/${u.key}`}>
                <td>{u.workspace}</td>
                <td><Link to={`/profiles?ws=${encodeURIComponent(u.workspace)}&id=${encodeURIComponent(u.key)}`} title={`Open the profile of ${u.key}`}>{u.user_id ?? "—"}</Link></td>
                <td className="small">{u.anonymous_id ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}
