// A delivery as the deliveries API shows it (`GET /api/outputs/{id}/deliveries`,
// `GET /api/deliveries/{id}`): the outbox record, its attempts, and who it is for.

/** One attempt to send a delivery. */
export interface Attempt {
  /** When it started, in milliseconds since the epoch. */
  at: number;
  latency_ms: number;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  outcome: "delivered" | "retry" | "dead" | "disabled";
  error?: string;
  /** The start of the receiver's answer. */
  response?: string;
}

export type DeliveryStatus = "pending" | "delivered" | "dead" | "discarded";

export interface Delivery {
  id: string;
  output: string;
  status: DeliveryStatus;
  /** How many attempts were made. */
  attempts: number;
  next_attempt_at: number;
  last_error?: string | null;
  created_at: number;
  updated_at: number;
  attempt_log?: Attempt[];
  payload?: unknown;
  message_id?: string | null;
  user_id?: string | null;
  anonymous_id?: string | null;
  cursor: number;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  next_cursor: number | null;
}

/** A time in milliseconds since the epoch, as the user's locale writes it. */
export function at(ms: number | undefined): string {
  return ms === undefined || ms === 0 ? "—" : new Date(ms).toLocaleString();
}

/** What an attempt's outcome means, in words. */
export const OUTCOME: Record<Attempt["outcome"], string> = {
  delivered: "delivered",
  retry: "failed, retried later",
  dead: "failed for good",
  disabled: "receiver asked to stop (output disabled)",
};

/** Who a delivery is for: the user id, else the anonymous id. */
export function recipient(d: Delivery): string {
  return d.user_id ?? d.anonymous_id ?? "—";
}
