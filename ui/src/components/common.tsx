// Small shared pieces: how errors, loading and empty states look everywhere.
import type { ReactNode } from "react";
import { ApiError } from "../api/client";

/** An API error, shown where it happened, with its code and every problem. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error as ApiError | Error;
  const code = e instanceof ApiError ? e.code : undefined;
  const problems = e instanceof ApiError ? e.problems : [];
  return (
    <div className="error-box" role="alert">
      <strong>{title ?? "Something went wrong"}</strong>
      {code && <code className="code">{code}</code>}
      <div>{e.message}</div>
      {problems.length > 0 && (
        <ul>
          {problems.map((p, i) => (
            <li key={i}><code>{p.path}</code> {p.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="loading" role="status" aria-live="polite">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** A character counter that turns red at the limit (SPEC §9 limits). */
export function Counter({ n, max }: { n: number; max: number }) {
  return <span className={`counter ${n > max ? "over" : ""}`} aria-live="polite">{n}/{max}</span>;
}
