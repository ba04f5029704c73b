// A live count of criteria as they are typed: one `POST /api/estimate` per workspace in scope,
// summed, sent 300 ms after the last change; a newer change cancels the requests still in
// flight, so a slow answer never overwrites a newer one.
import { useEffect, useState } from "react";
import { call } from "../api/client";
import type { Criteria } from "../journey/model";
import { isComplete, sumEstimates, type Estimate, type EstimateRequest, type EstimateScope } from "./model";

export const LIVE_DELAY_MS = 300;

export interface LiveEstimate {
  /** The latest answer, for the criteria as they were when asked. */
  estimate?: Estimate;
  /** True between a change and its answer. */
  pending: boolean;
  /** A failed request (the estimate itself carries criteria errors). */
  error?: unknown;
}

/** Counts each of `criteria` in every workspace of `scopes`, summed per item. */
export function useLiveEstimates(criteria: Criteria[], scopes: EstimateScope[] | undefined): LiveEstimate[] {
  const key = JSON.stringify([criteria, scopes]);
  const [state, setState] = useState<{ key: string; results: LiveEstimate[] }>({ key: "", results: [] });
  useEffect(() => {
    if (!scopes || scopes.length === 0) return;
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      void Promise.all(criteria.map(async (c): Promise<LiveEstimate> => {
        if (!isComplete(c)) return { pending: false };
        try {
          const each = await Promise.all(scopes.map((s) => {
            const body: EstimateRequest = { workspace: s.workspace, inputs: s.inputs, criteria: c as EstimateRequest["criteria"] };
            return call<Estimate, "post">("post", "/api/estimate", { body, signal: ctl.signal });
          }));
          return { estimate: sumEstimates(each), pending: false };
        } catch (e) {
          if ((e as Error).name === "AbortError") throw e;
          return { pending: false, error: e };
        }
      })).then((results) => setState({ key, results })).catch(() => undefined);
    }, LIVE_DELAY_MS);
    return () => { clearTimeout(timer); ctl.abort(); };
    // `key` stands for criteria and scopes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  if (!scopes || scopes.length === 0) return criteria.map(() => ({ pending: false }));
  const fresh = state.key === key;
  return criteria.map((_, i) => ({ ...(state.results[i] ?? {}), pending: !fresh }));
}
