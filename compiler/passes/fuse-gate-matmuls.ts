/**
 * Pass `fuse-gate-matmuls`: all linears that read the same operand become one matmul.
 *
 * Matches: at any level (the outer graph or a step graph), two or more `matmul(a, W_i)
 * {transposeB}` with the same left operand `a` and each W_i a parameter (in a step graph: a
 * constant whose outer value is a parameter). Produces: one `matmul(a, concat(W_1, ..., W_n))`
 * — the concatenation is built outside the step, once — and a `slice` of its result in place
 * of each original product. For an LSTM cell, the eight [H × I] and [H × H] products become
 * one [4H × I] and one [4H × H] product, whatever the cell's gates are called.
 * Before/after: each output element is the same dot product in the same order, so results
 * are bit for bit unchanged.
 */
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { constantSource, copyGraph, type CopyScope } from "./copy.ts";

/** The parameter behind a matmul's right operand, if it is one. */
function weightParam(node: Node, scope: CopyScope): Node | undefined {
  const right = node.inputs[1]!;
  if (right.op === "param" && !scope.step) return right;
  const source = constantSource(right, scope);
  return source?.op === "param" ? source : undefined;
}

interface Group {
  readonly members: readonly Node[];
  fused?: Node;
}

export function fuseGateMatmuls(graph: Graph): Graph {
  // Groups are found once per level on the original nodes, and fused on first use.
  const groupOf = new Map<Node, Group>();
  const levels = new Set<readonly Node[]>();

  const findGroups = (scope: CopyScope) => {
    const byOperand = new Map<Node, Node[]>();
    for (const node of scope.original) {
      const left = node.inputs[0];
      if (node.op !== "matmul" || !node.attrs.transposeB || left?.shape.length !== 2) continue;
      if (!weightParam(node, scope)) continue;
      byOperand.set(left, [...(byOperand.get(left) ?? []), node]);
    }
    for (const members of byOperand.values()) {
      if (members.length < 2) continue;
      // Weights in name order, so the fused product does not depend on equation order.
      const name = (m: Node) => weightParam(m, scope)!.attrs.name as string;
      const group: Group = { members: [...members].sort((a, b) => name(a).localeCompare(name(b))) };
      for (const m of members) groupOf.set(m, group);
    }
  };

  return copyGraph(graph, (node, input, scope) => {
    if (node.op !== "matmul") return undefined;
    if (!levels.has(scope.original)) {
      levels.add(scope.original);
      findGroups(scope);
    }
    const group = groupOf.get(node);
    if (!group) return undefined;
    if (!group.fused) {
      const weights = group.members.map((m) => weightParam(m, scope)!);
      // The concatenation does not change between steps: it is built in the outer graph.
      const home = scope.step ? scope.outer! : scope;
      const copies = weights.map(
        (w) => home.map.get(w) ?? home.graph.param(w.attrs.name as string, w.shape),
      );
      const concatenated = home.graph.node("concat", copies, { axis: 0 });
      const names = weights.map((w) => w.attrs.name as string).join("+");
      const weight = scope.step
        ? scope.step.constant(`fused(${names})`, concatenated)
        : concatenated;
      group.fused = scope.graph.node("matmul", [input(0), weight], { transposeB: true });
    }
    let offset = 0;
    for (const member of group.members) {
      if (member === node) break;
      offset += member.shape[1]!;
    }
    return scope.graph.node("slice", [group.fused], {
      axis: 1,
      start: offset,
      end: offset + node.shape[1]!,
    });
  });
}
