// The admin API client. Paths are checked against the generated OpenAPI types
// (`schema.d.ts`, made from `waymark openapi`), so an endpoint that disappears or changes its
// path breaks `npm run build` instead of failing in a user's browser.
import type { paths } from "./schema";

/** One problem of an invalid journey, as the server reports it. */
export interface Problem {
  path: string;
  code: string;
  message: string;
}

/** An error answered by the API, kept whole so the UI can show it next to its cause. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

type Method = "get" | "post" | "patch" | "delete";
/** The API paths that take `M`. */
export type PathFor<M extends Method> = {
  [P in keyof paths]: paths[P] extends Record<M, object> ? P : never;
}[keyof paths];

const TOKEN_KEY = "waymark.token";

/** The admin token, kept for the browser session only (sessionStorage). */
export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Fills `{name}` segments of a path template, percent-encoding each value. */
export function fill(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(v);
  });
}

interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Answer text instead of JSON (CSV downloads). */
  text?: boolean;
  /** Cancels the request (a live count superseded by newer typing). */
  signal?: AbortSignal;
}

/** Calls the API; throws `ApiError` with the server's code and message on any failure. */
export async function call<T, M extends Method>(method: M, path: PathFor<M>, opts: CallOptions = {}): Promise<T> {
  let url = fill(path as string, opts.params);
  const q = Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined && v !== "");
  if (q.length) url += "?" + new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString();
  const headers: Record<string, string> = {};
  const t = token.get();
  if (t) headers.authorization = `Bearer ${t}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let resp: Response;
  try {
    resp = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "network", `Waymark did not answer (${(e as Error).message}). Is the server running?`);
  }
  if (resp.status === 204) return undefined as T;
  const raw = await resp.text();
  if (!resp.ok) {
    let code = "http_" + resp.status;
    let message = raw || resp.statusText;
    let problems: Problem[] = [];
    try {
      const j = JSON.parse(raw) as { code?: string; message?: string; problems?: Problem[] };
      code = j.code ?? code;
      message = j.message ?? message;
      problems = j.problems ?? [];
    } catch {
      // not JSON: keep the text
    }
    if (resp.status === 401) window.dispatchEvent(new Event("waymark:unauthorized"));
    throw new ApiError(resp.status, code, message, problems);
  }
  if (opts.text) return raw as T;
  return (raw ? JSON.parse(raw) : undefined) as T;
}

/** Downloads an authenticated CSV endpoint as a file. */
export async function download(path: PathFor<"get">, params: Record<string, string>, filename: string) {
  const csv = await call<string, "get">("get", path, { params, text: true });
  const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}
