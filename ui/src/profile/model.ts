// A profile as `GET /api/workspaces/{ws}/profiles/{user_id}` shows it: identifiers, traits,
// consent, counts, and what the engines know of it (computed attributes, audiences,
// journeys).

/** A step and since when the profile has been in its audience. */
export interface ProfileStep {
  step: string;
  since: string;
}

/** Where a profile stands in one running journey version. */
export interface ProfileJourney {
  journey_id: string;
  version: number;
  /** `in`, `control` (held out) or `out` (left). */
  status: "in" | "control" | "out";
  entries: number;
  entered_at: string | null;
  left_at: string | null;
  goal_reached: boolean;
  /** The step audiences it is in now, in the order entered. */
  steps: ProfileStep[];
  /** The steps it is at now. */
  at: ProfileStep[];
}

/** A standalone audience the profile is in. */
export interface ProfileAudience {
  id: string;
  name: string;
  entered_at: string | null;
  entry_number: number;
}

export interface ProfileView {
  user_id?: string | null;
  anonymous_ids?: string[];
  identities?: Record<string, unknown> | null;
  traits?: Record<string, unknown>;
  trait_since?: Record<string, string>;
  consent?: unknown;
  first_seen?: string;
  last_seen?: string;
  event_count?: number;
  merged_profiles?: number;
  /** Every computed attribute of the workspace, `null` when missing. */
  attributes?: Record<string, unknown>;
  audiences?: ProfileAudience[];
  journeys?: ProfileJourney[];
}

/** A profile's journey versions, grouped by journey (first seen first), newest version first. */
export function byJourney(journeys: ProfileJourney[]): { id: string; versions: ProfileJourney[] }[] {
  const groups = new Map<string, ProfileJourney[]>();
  for (const j of journeys) groups.set(j.journey_id, [...(groups.get(j.journey_id) ?? []), j]);
  return [...groups].map(([id, versions]) => ({ id, versions: versions.sort((a, b) => b.version - a.version) }));
}

/** An RFC 3339 time as the user's locale writes it. */
export function when(t: unknown): string {
  if (typeof t !== "string" || t === "") return "—";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}
