// Every step's estimate of a draft with unsaved edits, so the canvas follows the typing: the
// draft is read 300 ms after the last edit, each step's path becomes criteria (`paths.ts`),
// and each distinct criteria is counted once per workspace with `POST /api/estimate`.
// Answers are cached by criteria, so an edit re-counts only the steps it changed; a request
// made stale by a newer edit is cancelled (React Query aborts a query nobody watches).
import { useEffect, useRef, useState } from "react";
import { useQueries } from "@tanstack/react-query";
import { call } from "../api/client";
import type { Journey } from "../journey/model";
import { sumEstimates, type Estimate, type EstimateRequest, type EstimateScope } from "./model";
import { ready, scale, stepQueries } from "./paths";
import { LIVE_DELAY_MS } from "./useLiveEstimates";

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export type StepEstimates = Map<string, { size: Estimate; criteria?: Estimate[] }>;

export function useDraftEstimates(journey: Journey | null, scopes: EstimateScope[], enabled: boolean): StepEstimates | undefined {
  const j = useDebounced(enabled ? journey : null, LIVE_DELAY_MS);
  const plans = j ? stepQueries(j) : [];
  const wanted = [...new Set(plans.flatMap((p) => [p.criteria, ...(p.parts ?? [])]).map((c) => JSON.stringify(c)))]
    .filter((c) => ready({ step: "", criteria: JSON.parse(c), factor: 1 }));
  const scopeKey = JSON.stringify(scopes);
  const results = useQueries({
    queries: wanted.map((c) => ({
      queryKey: ["estimate-criteria", scopeKey, c],
      staleTime: 10000,
      queryFn: async ({ signal }: { signal: AbortSignal }) => {
        const each = await Promise.all(scopes.map((s) => {
          const body: EstimateRequest = { workspace: s.workspace, inputs: s.inputs, criteria: JSON.parse(c) as EstimateRequest["criteria"] };
          return call<Estimate, "post">("post", "/api/estimate", { body, signal });
        }));
        return sumEstimates(each) ?? null;
      },
    })),
  });
  const found = new Map<string, Estimate>();
  wanted.forEach((c, i) => { const d = results[i]?.data; if (d) found.set(c, d); });
  // While a changed step is being counted it keeps its last figure rather than flickering;
  // the same figures answer the same Map, so the canvas is not rebuilt on every render.
  const last = useRef<{ map: StepEstimates; json: string }>({ map: new Map(), json: "[]" });
  if (!j || scopes.length === 0) return undefined;
  const out: StepEstimates = new Map();
  for (const p of plans) {
    const size = found.get(JSON.stringify(p.criteria));
    const prev = last.current.map.get(p.step);
    const criteria = p.parts?.map((part, i) => {
      const e = found.get(JSON.stringify(part));
      return e ? scale(e, p.factor) : prev?.criteria?.[i];
    }).filter((e): e is Estimate => e !== undefined);
    const entry = size ? { size: scale(size, p.factor), criteria } : prev;
    if (entry) out.set(p.step, entry);
  }
  const json = JSON.stringify([...out]);
  if (json !== last.current.json) last.current = { map: out, json };
  return last.current.map;
}
