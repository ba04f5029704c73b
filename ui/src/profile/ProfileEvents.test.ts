import { describe, expect, it } from "vitest";
import { newestFirst } from "./ProfileEvents";

const ev = (event: string) => ({ type: "track", event, timestamp: "2026-01-01T00:00:00Z" });

describe("a profile's events, paged", () => {
  it("lists each page (oldest first from the API) newest first, older pages after", () => {
    const pages = [
      { events: [ev("c"), ev("d")], next_cursor: "1.2" },
      { events: [ev("a"), ev("b")], next_cursor: null },
    ];
    expect(newestFirst(pages).map((e) => e.event)).toEqual(["d", "c", "b", "a"]);
  });
});
