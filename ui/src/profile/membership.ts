// Which journeys and steps a profile is in, derived from what the API already serves: each
// step's audience as CSV (`GET /api/journeys/{id}/steps/{step}/audience.csv`). A step's
// audience holds the users at the step and below it (SPEC §7), so the deepest steps a user
// is a member of are where they are now, and their `entered_at` times are the step history.
import type { AnyStep, Journey } from "../journey/model";
import { walk } from "../journey/tree";

/** What the profile page knows of a profile's identity. */
export interface ProfileIds {
  user_id?: string | null;
  anonymous_ids?: string[];
}

/** The API's profile view (`GET /api/workspaces/{ws}/profiles/{user_id}`). */
export interface ProfileView extends ProfileIds {
  identities?: Record<string, unknown> | null;
  traits?: Record<string, unknown>;
  trait_since?: Record<string, string>;
  consent?: unknown;
  first_seen?: string;
  last_seen?: string;
  event_count?: number;
  merged_profiles?: number;
}

/** One row of an audience CSV. */
export interface AudienceRow {
  key: string;
  user_id: string;
  anonymous_id: string;
  version: number;
  entry_number: number;
  entered_at: string;
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** An audience CSV's rows, by its header's column names. */
export function parseAudienceCsv(text: string): AudienceRow[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const col = (name: string) => header.indexOf(name);
  const at = (r: string[], name: string) => (col(name) >= 0 ? r[col(name)] ?? "" : "");
  return rows
    .filter((r) => r.length > 1 || (r[0] ?? "") !== "")
    .map((r) => ({
      key: at(r, "key"),
      user_id: at(r, "user_id"),
      anonymous_id: at(r, "anonymous_id"),
      version: Number(at(r, "version")) || 0,
      entry_number: Number(at(r, "entry_number")) || 0,
      entered_at: at(r, "entered_at"),
    }));
}

/** Whether an audience row is this profile (by its userId or any of its anonymous ids). */
export function isProfile(row: AudienceRow, p: ProfileIds): boolean {
  if (p.user_id && row.user_id === p.user_id) return true;
  return row.anonymous_id !== "" && (p.anonymous_ids ?? []).includes(row.anonymous_id);
}

/** A profile's place in one journey. */
export interface JourneyPlace {
  /** Steps whose audience holds the profile, in tree order, with when they entered it. */
  steps: { id: string; name: string; entered_at: string; version: number; depth: number }[];
  /** The deepest of those steps: where the profile is now. */
  current: string[];
}

/**
 * Where a profile is in a journey, given the audience rows of its steps (step id → rows).
 * Steps are listed in the journey's tree order; a step is "current" when none of its
 * children's audiences holds the profile.
 */
export function placeIn(journey: Journey, rowsByStep: Record<string, AudienceRow[]>, p: ProfileIds): JourneyPlace {
  const located = walk(journey);
  const member = new Map<string, AudienceRow>();
  for (const { step } of located) {
    const mine = (rowsByStep[step.id] ?? []).filter((r) => isProfile(r, p));
    // The latest entry (the highest version, then entry number) is the one that counts now.
    const last = mine.sort((a, b) => a.version - b.version || a.entry_number - b.entry_number).at(-1);
    if (last) member.set(step.id, last);
  }
  const steps = located
    .filter(({ step }) => member.has(step.id))
    .map(({ step, depth }) => ({ id: step.id, name: step.name, entered_at: member.get(step.id)!.entered_at, version: member.get(step.id)!.version, depth }));
  const inChild = (s: AnyStep) => (s.steps ?? []).some((c) => member.has(c.id));
  const current = located.filter(({ step }) => member.has(step.id) && !inChild(step)).map(({ step }) => step.id);
  return { steps, current };
}

/** Whether a journey reads events of a workspace (no inputs: every input of its owner). */
export function readsWorkspace(journey: Journey, ws: string): boolean {
  const inputs = journey.inputs ?? [];
  return inputs.length === 0 || inputs.some((i) => i.startsWith(`${ws}/`));
}
