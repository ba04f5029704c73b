import { useState, type FormEvent } from "react";
import { call, token, ApiError } from "../api/client";
import { ErrorBox } from "../components/common";

/** Sign in with an admin token (account or workspace); it is kept for this browser session only. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    token.set(value.trim());
    try {
      await call("get", "/api/workspaces");
      onSignedIn();
    } catch (x) {
      token.clear();
      setError(x instanceof ApiError && x.status === 401 ? new ApiError(401, "unauthorized", "This token is not an admin token of this Waymark.") : x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={submit} className="card">
        <h1>◆ Waymark</h1>
        <p className="muted">Sign in with an admin token. An account token sees everything; a workspace token sees its workspace only. The token is kept for this browser session.</p>
        <label htmlFor="token">Admin token</label>
        <input id="token" type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} required />
        <p className="muted small">Running <code>waymark demo</code>? The token is <code>demo_admin_token</code>.</p>
        <button type="submit" className="primary" disabled={busy || value.trim() === ""}>{busy ? "Signing in…" : "Sign in"}</button>
        <ErrorBox error={error} title="Could not sign in" />
      </form>
    </main>
  );
}
