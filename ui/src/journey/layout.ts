// Places the step tree on the canvas, top to bottom (the entry on top, as mParticle and
// Segment draw journeys). dagre ranks the tree and sizes each rank to its tallest card; the
// horizontal order is then set from the JSON order, because it carries meaning that dagre's
// crossing minimisation does not keep: sibling paths read left to right in evaluation order,
// and the remaining-user path, always last, must always be rightmost.
import dagre from "@dagrejs/dagre";
import type { AnyStep, Journey } from "./model";
import { walk } from "./tree";

export const NODE_WIDTH = 270;
const GAP_X = 36;

/** A node's height: the card, its audience box, and one row per connection. */
export function nodeHeight(connections: number, hasProblems: boolean): number {
  return 150 + Math.max(1, connections) * 30 + (hasProblems ? 44 : 0);
}

export interface Placed { id: string; parent: string | null; x: number; y: number; height: number }

export function layout(j: Journey, problemSteps: Set<string>): Placed[] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: GAP_X, ranksep: 56, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const all = walk(j);
  for (const { step } of all) {
    const extra = step.id === "entry" ? 22 : 0; // the entry's inputs
    g.setNode(step.id, { width: NODE_WIDTH, height: extra + nodeHeight(step.connections?.length ?? 0, problemSteps.has(step.id)) });
  }
  for (const { step, parent } of all) if (parent) g.setEdge(parent.id, step.id);
  dagre.layout(g);

  // Horizontal: each leaf takes the next slot; a parent is centred over its children.
  const xs = new Map<string, number>();
  let next = 0;
  const place = (s: AnyStep): number => {
    const kids = s.steps ?? [];
    let x: number;
    if (kids.length === 0) {
      x = next;
      next += NODE_WIDTH + GAP_X;
    } else {
      const cx = kids.map(place);
      x = (cx[0]! + cx[cx.length - 1]!) / 2;
    }
    xs.set(s.id, x);
    return x;
  };
  place(j.entry);

  // Cards of one rank share a top edge (dagre centres them on the rank).
  const rankHeight = new Map<number, number>();
  for (const { step } of all) {
    const n = g.node(step.id);
    rankHeight.set(n.y, Math.max(rankHeight.get(n.y) ?? 0, n.height));
  }
  return all.map(({ step, parent }) => {
    const n = g.node(step.id);
    return { id: step.id, parent: parent?.id ?? null, x: xs.get(step.id)!, y: n.y - rankHeight.get(n.y)! / 2, height: n.height };
  });
}
