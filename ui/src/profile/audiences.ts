// Which standalone audiences a profile is in now, read from each audience's members CSV
// (`GET /api/audiences/{id}/members.csv`: workspace,key,user_id,anonymous_id,entry_number,
// entered_at). Rows of other workspaces are other profiles, even with the same user id.
import { parseCsv, type ProfileIds } from "./membership";

/** A profile's membership of one audience: since when, and how many times it has joined. */
export interface Membership {
  entered_at: string;
  entry_number: number;
}

/** This profile's row of an audience's members CSV, if it is a member. */
export function membershipIn(csv: string, ws: string, p: ProfileIds): Membership | null {
  const [header, ...rows] = parseCsv(csv);
  if (!header) return null;
  const get = (r: string[], name: string) => r[header.indexOf(name)] ?? "";
  for (const r of rows) {
    if (get(r, "workspace") !== ws) continue;
    const user = get(r, "user_id");
    const anon = get(r, "anonymous_id");
    if ((p.user_id && user === p.user_id) || (anon !== "" && (p.anonymous_ids ?? []).includes(anon))) {
      return { entered_at: get(r, "entered_at"), entry_number: Number(get(r, "entry_number")) || 0 };
    }
  }
  return null;
}
