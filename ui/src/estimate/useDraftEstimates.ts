// Every step's estimate of a draft with unsaved edits, so the canvas follows the typing: the
// edited definition is sent to `POST /api/journeys/{id}/estimate` 300 ms after the last
// edit, and the server answers with the same rules as for the saved journey (no second copy
// of them in the browser). A newer edit cancels the request in flight; a definition the
// server refuses while it is being typed (422, e.g. an event without a name yet) keeps the
// last figures.
import { useEffect, useState } from "react";
import { call } from "../api/client";
import type { Journey } from "../journey/model";
import { byStep, type JourneyEstimate } from "./model";
import { LIVE_DELAY_MS } from "./useLiveEstimates";

export type StepEstimates = ReturnType<typeof byStep>;

export function useDraftEstimates(id: string, journey: Journey | null, enabled: boolean): StepEstimates | undefined {
  const [result, setResult] = useState<StepEstimates | undefined>(undefined);
  const body = enabled && journey ? JSON.stringify(journey) : null;
  useEffect(() => {
    if (body === null) {
      setResult(undefined);
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      call<JourneyEstimate, "post">("post", "/api/journeys/{id}/estimate", { params: { id }, body: JSON.parse(body) as Journey, signal: ctl.signal })
        .then((e) => setResult(byStep(e)))
        .catch(() => undefined);
    }, LIVE_DELAY_MS);
    return () => { clearTimeout(timer); ctl.abort(); };
  }, [id, body]);
  return body === null ? undefined : result;
}
