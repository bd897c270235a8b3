/**
 * Two facts about a graph's nodes (given in creation order, so inputs come first) that
 * several passes ask: which nodes some root depends on, and which depend on parameters and
 * literals alone (computable once per set of weights).
 */
import type { Node } from "./node.ts";

/** The nodes of `nodes` that any of `roots` reads, directly or not (roots included). */
export function liveFrom(nodes: readonly Node[], roots: Iterable<Node>): Set<Node> {
  const live = new Set<Node>(roots);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (live.has(n)) n.inputs.forEach((x) => live.add(x));
  }
  return live;
}

/** The nodes of `nodes` determined by parameters and literals alone (no input, no scan). */
export function paramDerivedNodes(nodes: readonly Node[]): Set<Node> {
  const derived = new Set<Node>();
  for (const n of nodes) {
    if (n.op === "param" || n.op === "const" || n.op === "iota") derived.add(n);
    else if (
      n.op !== "input" &&
      n.op !== "scan" &&
      n.op !== "scan_output" &&
      n.inputs.every((x) => derived.has(x))
    )
      derived.add(n);
  }
  return derived;
}
