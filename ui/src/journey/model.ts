// The journey JSON of SPEC §6 and the criteria of SPEC §4, as the UI edits them, and the
// views the admin API answers. Unknown fields are kept (objects are spread when edited).

export type Duration = string;
export type CountOp = ">=" | ">" | "=" | "<" | "<=";
export const OPS = [
  "eq", "neq", "gt", "gte", "lt", "lte", "contains", "not_contains", "starts_with", "ends_with",
  "in", "not_in", "exists", "not_exists", "between",
] as const;
export type Op = (typeof OPS)[number];

export interface Filter { property: string; op: Op; value?: unknown }
export interface EventCriterion {
  event: string;
  where?: Filter[];
  count?: { op: CountOp; value: number };
  within?: Duration;
  between?: { from: string; to: string };
  since?: "entry" | "step";
}
export interface TraitCriterion { trait: string; op: Op; value?: unknown; for?: Duration }
export interface AttributeCriterion { attribute: string; op: Op; value?: unknown }
export interface MemberOfCriterion {
  member_of: { journey: string; step: string } | { audience: string };
  is: boolean;
}
export interface ConsentCriterion { consent: string; granted: boolean }
export interface InputCriterion { input: string[] }

export type Criteria =
  | { all: Criteria[] }
  | { any: Criteria[] }
  | { not: Criteria }
  | { everyone: true }
  | EventCriterion
  | TraitCriterion
  | AttributeCriterion
  | MemberOfCriterion
  | ConsentCriterion
  | InputCriterion;

export type CriterionKind =
  | "all" | "any" | "not" | "everyone" | "event" | "trait" | "attribute" | "member_of" | "consent" | "input";

/** Which kind a criterion is (by its distinguishing key, as the server parses it). */
export function kindOf(c: Criteria): CriterionKind {
  for (const k of ["all", "any", "not", "everyone", "event", "trait", "attribute", "member_of", "consent", "input"] as const) {
    if (k in c) return k;
  }
  return "everyone";
}

export interface Connection { id: string; output: string; active: boolean; mode: "event" | "identify" | "list" }
export type Branching = "wait" | "decide" | "all" | "random" | "live";
export type StepType = "milestone" | "remaining" | "wait" | "send" | "exit";

export type Wait =
  | { duration: Duration }
  | { until: { time: string; days?: string[] } | { at: string } | { trait: string; offset?: Duration } };

export interface Step {
  id: string;
  name: string;
  type: StepType;
  criteria?: Criteria;
  wait?: Wait;
  weight?: number;
  connections?: Connection[];
  branching?: Branching;
  timeout?: Duration;
  steps?: Step[];
}

export interface EntryStep {
  id: "entry";
  name: string;
  criteria?: Criteria;
  on?: "qualify" | "event";
  live?: boolean;
  historical?: boolean;
  reentry?: "never" | "after_exit" | { cooldown: Duration };
  start_at?: string;
  end_at?: string;
  connections?: Connection[];
  branching?: Branching;
  timeout?: Duration;
  steps?: Step[];
}

export interface Settings {
  exit?: Criteria;
  timeout?: Duration;
  goal?: { criteria: Criteria; within?: Duration; exit_on_goal?: boolean };
  control_group?: { percent: number };
  quiet_hours?: { start: string; end: string; fallback: "delay" | "skip" };
  frequency_cap?: { max: number; per: Duration };
  timezone?: string;
}

export interface Journey {
  id: string;
  name: string;
  description?: string;
  inputs?: string[];
  entry: EntryStep;
  settings?: Settings;
  version?: number;
}

/** Any node of the tree: the entry or a step. */
export type AnyStep = EntryStep | Step;

export type JourneyStatus = "draft" | "published" | "stopped";

/** Who owns a journey or an output: the account, or one workspace (shown as given). */
export type Owner = string | { workspace: string } | null | undefined;
export function ownerLabel(o: Owner): string {
  if (!o) return "";
  if (typeof o === "string") return o;
  return `workspace ${o.workspace}`;
}

export interface JourneySummary { id: string; name: string; status: JourneyStatus; version: number; draft_version?: number | null; credits?: number; owner?: Owner }

export interface VersionInfo {
  version: number;
  status: JourneyStatus;
  published_at?: string | null;
  stopped_at?: string | null;
  closed_at?: string | null;
  historical?: boolean;
}

export interface JourneyView {
  id: string;
  name: string;
  status: JourneyStatus;
  latest_status?: JourneyStatus;
  version: number;
  versions: VersionInfo[];
  definition: Journey;
  keys: Record<string, string>;
  audiences: Record<string, "estimated" | "calculating" | "active">;
  backfill?: { state: "running" | "done"; processed: number; total: number };
  credits?: number;
  problems?: { path: string; code: string; message: string }[];
}

import type { Conversion, Rate, Uplift } from "../stats/model";

export interface StepStats {
  step: string;
  key: string;
  at: number;
  audience: number;
  entered: number;
  exited: number;
  connections: {
    id: string; output: string; active: boolean;
    /** This journey's deliveries on the connection, by status. */
    deliveries?: Record<string, number>;
    /** The latest failed attempt of the connection's deliveries (it stays after a retry succeeds). */
    last_error?: { at: string; message: string } | null;
  }[];
  /** The parent step (null for the entry). */
  parent?: string | null;
  /** Entered ÷ the parent's entered. */
  conversion_from_parent?: number | null;
  /** Users who reached the goal after entering this step, their rate and uplift over control. */
  goals?: number;
  goal_rate?: Rate | null;
  uplift?: Uplift | null;
}
export interface VersionStats {
  version: number;
  entered: number;
  exited: number;
  in_journey: number;
  goal: number;
  control: number;
  steps: StepStats[];
  /** Goal conversion of the journey and of the control group, and the uplift. */
  conversion?: Conversion;
}
export interface DeliveryCounts { pending: number; delivered: number; dead: number; discarded?: number; failed?: number }
export interface JourneyStats {
  id: string;
  versions: VersionStats[];
  deliveries_by_output: Record<string, DeliveryCounts>;
}

export interface Account {
  activated_audiences: number;
  available_audiences: number;
  active_audience_limit: number;
  max_steps?: number;
  published_journeys_per_workspace?: number;
}

export interface Workspace { id: string; name: string }
export interface Input { workspace: string; id: string; name: string; kind: string }

export interface Output {
  id: string;
  name?: string;
  kind: "webhook" | "segment" | "file" | "list";
  url?: string;
  endpoint?: string;
  path?: string;
  secret?: string;
  disabled: boolean;
  disabled_reason?: string | null;
  deliveries?: DeliveryCounts;
  owner?: Owner;
}

/** The limits of SPEC §9. */
export const LIMITS = { journeyName: 73, stepName: 170, key: 255, steps: 20 };

// ---- The server's own schemas (generated from the engine's model types into the OpenAPI
// document, then into `schema.d.ts`). The UI edits its own, more precise types above; these
// checks make the build fail when what the UI writes stops being what the server reads.
import type { components } from "../api/schema";

type Server = components["schemas"];
type Assert<T extends true> = T;
type Fits<A, B> = [A] extends [B] ? true : false;
/* eslint-disable @typescript-eslint/no-unused-vars */
export type ModelChecks = [
  Assert<Fits<Journey, Server["Journey"]>>,
  Assert<Fits<Step, Server["Step"]>>,
  Assert<Fits<Settings, Server["Settings"]>>,
  Assert<Fits<Connection, Server["Connection"]>>,
  Assert<Fits<Wait, Server["Wait"]>>,
  Assert<Fits<Criteria, Server["Criteria"]>>,
  Assert<Fits<Filter, Server["Filter"]>>,
  Assert<Fits<Op, Server["Op"]>>,
  Assert<Fits<Branching, Server["Branching"]>>,
  Assert<Fits<StepType, Server["StepKind"]>>,
];
