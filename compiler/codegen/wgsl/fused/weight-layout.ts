/**
 * Before fused code generation: weights read transposed (`x @ Wᵀ`, PyTorch's layout) are
 * transposed once, when parameters change, so that a matmul's threads, which each take an
 * output column, read consecutive words of the weights at every step of the inner loop
 * (coalesced on a GPU, one vector load on a CPU adapter) instead of words a row apart.
 *
 * Matches: matmul with transposeB whose right operand only parameters determine, in the
 * graph and in step graphs (there the operand is a step constant). Produces: matmul(a,
 * transpose(w)) without transposeB, the transpose computed outside any recurrence (the fused
 * planner stores it, computed by a "params" kernel). Values are unchanged.
 */
import type { Graph } from "../../../ir/graph.ts";
import type { Node } from "../../../ir/node.ts";
import { paramDerivedNodes } from "../../../ir/reach.ts";
import { constantSource, copyGraph } from "../../../passes/copy.ts";

export function transposeWeights(graph: Graph): Graph {
  const derived = paramDerivedNodes(graph.nodes);
  const paramDerived = (n: Node) => derived.has(n);
  return copyGraph(graph, (node, input, scope) => {
    if (node.op !== "matmul" || !node.attrs.transposeB) return undefined;
    const b = node.inputs[1]!;
    if (b.shape.length !== 2) return undefined;
    if (!scope.step) {
      if (!paramDerived(b)) return undefined;
      const t = scope.graph.node("transpose", [input(1)]);
      return scope.graph.node("matmul", [input(0), t], { transposeB: false });
    }
    // In a step graph: the weights must be a step constant from outside, itself parameters only.
    const outer = constantSource(b, scope);
    if (!outer || !paramDerived(outer) || !scope.outer) return undefined;
    const outerCopy = scope.outer.map.get(outer)!;
    const t = scope.outer.graph.node("transpose", [outerCopy]);
    const formal = scope.step.constant(`${b.attrs.name as string}ᵀ`, t);
    return scope.graph.node("matmul", [input(0), formal], { transposeB: false });
  });
}
