import { describe, expect, it } from "vitest";
import { membershipIn } from "./audiences";

const CSV = [
  "workspace,key,user_id,anonymous_id,entry_number,entered_at",
  "blog,ana,ana,,1,2026-01-01T00:00:00Z",
  "shop,anon-7,,anon-7,2,2026-01-02T00:00:00Z",
  "shop,ana,ana,a-1,3,2026-01-03T00:00:00Z",
  "",
].join("\n");

describe("a profile's audiences", () => {
  it("finds the profile's row in its own workspace, by user id or an anonymous id", () => {
    expect(membershipIn(CSV, "shop", { user_id: "ana" })).toEqual({ entered_at: "2026-01-03T00:00:00Z", entry_number: 3 });
    expect(membershipIn(CSV, "blog", { user_id: "ana" })).toEqual({ entered_at: "2026-01-01T00:00:00Z", entry_number: 1 });
    expect(membershipIn(CSV, "shop", { anonymous_ids: ["anon-7"] })?.entry_number).toBe(2);
  });
  it("is null for a profile that is not a member, or a member of another workspace only", () => {
    expect(membershipIn(CSV, "shop", { user_id: "bob" })).toBeNull();
    expect(membershipIn(CSV, "blog", { anonymous_ids: ["anon-7"] })).toBeNull();
    expect(membershipIn("workspace,key,user_id,anonymous_id,entry_number,entered_at\n", "shop", { user_id: "ana" })).toBeNull();
  });
});
