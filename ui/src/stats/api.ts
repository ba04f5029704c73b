// The statistics endpoints beyond `/stats`: a funnel along a path and entries over time.
import { call } from "../api/client";
import type { components } from "../api/schema";

export type Funnel = components["schemas"]["Funnel"];
export type Entries = components["schemas"]["Entries"];

export function fetchFunnel(id: string, path: string[], version: number, signal?: AbortSignal): Promise<Funnel> {
  return call<Funnel, "get">("get", "/api/journeys/{id}/funnel", { params: { id }, query: { path: path.join(","), version }, signal });
}

export function fetchEntries(id: string, bucket: "hour" | "day", signal?: AbortSignal): Promise<Entries> {
  return call<Entries, "get">("get", "/api/journeys/{id}/entries", { params: { id }, query: { bucket }, signal });
}
