// Every input of every workspace the token sees: what journeys and audiences may read.
import { call } from "./client";
import type { Input, Workspace } from "../journey/model";

export async function listInputs(): Promise<Input[]> {
  const ws = await call<Workspace[], "get">("get", "/api/workspaces");
  return (await Promise.all(ws.map((w) => call<Input[], "get">("get", "/api/workspaces/{ws}/inputs", { params: { ws: w.id } })))).flat();
}
