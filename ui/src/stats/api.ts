// The statistics endpoints beyond `/stats`: a funnel along a path and entries over time.
import { call, type PathFor } from "../api/client";

export interface FunnelStep { step: string; name: string; entered: number; conversion_from_previous: number | null; conversion_from_first: number | null }
export interface Funnel { id: string; version: number; steps: FunnelStep[] }
export interface Entries { id: string; bucket: "hour" | "day"; versions: { version: number; series: { at: string; entered: number; control: number }[] }[] }

export function fetchFunnel(id: string, path: string[], version: number, signal?: AbortSignal): Promise<Funnel> {
  return call<Funnel, "get">("get", "/api/journeys/{id}/funnel" as PathFor<"get">, { params: { id }, query: { path: path.join(","), version }, signal });
}

export function fetchEntries(id: string, bucket: "hour" | "day", signal?: AbortSignal): Promise<Entries> {
  return call<Entries, "get">("get", "/api/journeys/{id}/entries" as PathFor<"get">, { params: { id }, query: { bucket }, signal });
}
