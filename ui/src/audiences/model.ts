// Standalone audiences (SPEC §6) as the audiences API reads and writes them
// (docs/audiences.md, "Over the API").
import type { components } from "../api/schema";
import type { Connection, Criteria, DeliveryCounts, Owner } from "../journey/model";

/** What a user writes: `POST /api/audiences`, `PATCH /api/audiences/{id}`. */
export interface AudienceDefinition {
  id: string;
  name: string;
  description?: string;
  /** `workspace/input` refs; none: every input the owner sees. Fixed once made. */
  inputs?: string[];
  criteria: Criteria;
  connections?: Connection[];
}

/** The figures of a view: size, joins and leaves since the server started, deliveries. */
export interface AudienceStats {
  size: number;
  entered: number;
  exited: number;
  connections: { id: string; output: string; active: boolean; deliveries?: DeliveryCounts }[];
  deliveries_by_output?: Record<string, DeliveryCounts>;
}

/** `GET /api/audiences/{id}`: the definition, its key, owner, times, status and figures. */
export interface AudienceView extends AudienceDefinition {
  key?: string;
  owner?: Owner;
  created_at?: string;
  updated_at?: string;
  status: string;
  size: number;
  stats?: AudienceStats;
}

/** One member, as `GET /api/audiences/{id}/members` lists them. */
export interface Member {
  workspace: string;
  key: string;
  user_id?: string | null;
  anonymous_id?: string | null;
  entry_number?: number;
  entered_at?: string;
}

export interface MembersPage {
  members: Member[];
  next_cursor: number | null;
}

/** A new audience's blank definition. */
export function blankAudience(): AudienceDefinition {
  return { id: "", name: "", criteria: { event: "" } };
}

/** The definition of a view: what a form edits. */
export function definitionOf(v: AudienceView): AudienceDefinition {
  const d: AudienceDefinition = { id: v.id, name: v.name, criteria: v.criteria };
  if (v.description) d.description = v.description;
  if (v.inputs?.length) d.inputs = v.inputs;
  if (v.connections?.length) d.connections = v.connections.map(({ id, output, active, mode }) => ({ id, output, active, mode }));
  return d;
}

/** What PATCH takes: everything but the id and the inputs (fixed when the audience is made). */
export function patchOf(d: AudienceDefinition): Omit<AudienceDefinition, "id" | "inputs" | "description"> & { description: string | null } {
  return { name: d.name, description: d.description || null, criteria: d.criteria, connections: d.connections ?? [] };
}

// What the UI writes must stay what the server reads (the engine's `Audience` schema).
type Assert<T extends true> = T;
type Fits<A, B> = [A] extends [B] ? true : false;
export type AudienceChecks = [Assert<Fits<AudienceDefinition, components["schemas"]["Audience"]>>];
