// The names of the computed attributes of every workspace the token sees, for the criteria
// builder to offer.
import { useQuery } from "@tanstack/react-query";
import { call } from "../api/client";
import type { Workspace } from "../journey/model";
import type { AttributeView } from "./model";

async function attributeNames(): Promise<string[]> {
  const ws = await call<Workspace[], "get">("get", "/api/workspaces");
  const lists = await Promise.all(ws.map((w) => call<{ attributes: AttributeView[] }, "get">("get", "/api/workspaces/{ws}/attributes", { params: { ws: w.id } })));
  return [...new Set(lists.flatMap((l) => l.attributes.map((a) => a.name)))].sort();
}

export function useAttributeNames() {
  return useQuery({ queryKey: ["attribute-names"], queryFn: attributeNames });
}
