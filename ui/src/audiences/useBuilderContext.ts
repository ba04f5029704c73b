// What the criteria builder offers in its pickers, from the API: every input the token
// sees, the journeys (with the steps of `current`, a journey being edited), the
// standalone audiences and the computed attributes' names.
import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import { call } from "../api/client";
import type { BuilderContext } from "../components/CriteriaBuilder";
import { listInputs } from "../api/inputs";
import type { Input, JourneySummary } from "../journey/model";
import { useAttributeNames } from "../attributes/names";
import type { AudienceView } from "./model";

export function useAudiences() {
  return useQuery({ queryKey: ["audiences"], queryFn: () => call<{ audiences: AudienceView[] }, "get">("get", "/api/audiences") });
}

export function useBuilderContext(current?: { id: string; steps: string[] }): { ctx: BuilderContext; inputs: Input[]; error: unknown } {
  const inputs = useQuery({ queryKey: ["all-inputs"], queryFn: listInputs });
  const journeys = useQuery({ queryKey: ["journeys"], queryFn: () => call<{ journeys: JourneySummary[] }, "get">("get", "/api/journeys") });
  const audiences = useAudiences();
  const attributes = useAttributeNames();
  const ctx = useMemo<BuilderContext>(() => ({
    inputs: (inputs.data ?? []).map((i) => `${i.workspace}/${i.id}`),
    journeys: (journeys.data?.journeys ?? []).map((j) => ({ id: j.id, steps: current && j.id === current.id ? current.steps : [] })),
    audiences: (audiences.data?.audiences ?? []).map((a) => ({ id: a.id, name: a.name })),
    attributes: attributes.data ?? [],
  }), [inputs.data, journeys.data, audiences.data, attributes.data, current]);
  return { ctx, inputs: inputs.data ?? [], error: inputs.error ?? journeys.error ?? audiences.error };
}
