// The standalone audiences a profile is in now (the profile API's `audiences`).
import { Link } from "react-router-dom";
import { when, type ProfileAudience } from "./model";

export function ProfileAudiences({ audiences }: { audiences: ProfileAudience[] }) {
  return (
    <section className="card" aria-label="Audiences">
      <h2>Audiences</h2>
      {audiences.length === 0 ? (
        <p className="muted">In no audience now. <Link to="/audiences">See the audiences</Link>.</p>
      ) : (
        <ul className="plain-list" aria-label="Audiences this user is in">
          {audiences.map((a) => (
            <li key={a.id}>
              <Link to={`/audiences/${encodeURIComponent(a.id)}`}>{a.name}</Link>{" "}
              <span className="muted small">member since {when(a.entered_at)}{a.entry_number > 1 ? ` · joined ${a.entry_number} times` : ""}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
