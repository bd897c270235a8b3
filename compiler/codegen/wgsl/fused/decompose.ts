/**
 * Before fused code generation: softmax, log_softmax and layernorm become the reductions and
 * elementwise ops they are made of, so that their row statistics (max, sum, mean, variance)
 * are values of their own. The fused kernels then compute each statistic once per row and
 * the normalised elements in parallel, like any other reduction and elementwise work.
 *
 * Matches: softmax / log_softmax (any axis), layernorm (last axis), in the graph and in step
 * graphs. Produces: the same graph with those nodes replaced by
 *   m = max(x, keepdims); e = exp(x - m); softmax = e / sum(e); log_softmax = (x - m) - log(sum(e))
 *   μ = mean(x, keepdims); d = x - μ; layernorm = d / sqrt(mean(d²) + eps)
 * which are PyTorch's formulas (the maximum subtracted first; the biased variance).
 */
import type { Graph } from "../../../ir/graph.ts";
import type { Node } from "../../../ir/node.ts";
import { copyGraph } from "../../../passes/copy.ts";

export function decomposeNormalisations(graph: Graph): Graph {
  if (!hasNormalisation(graph.nodes)) return graph;
  return copyGraph(graph, (node, input, scope) => {
    const g = scope.graph;
    if (node.op === "softmax" || node.op === "log_softmax") {
      const x = input(0);
      const axis = node.attrs.axis as number;
      const m = g.node("max", [x], { axis, keepdims: true });
      const shifted = g.node("sub", [x, m]);
      const total = g.node("sum", [g.node("exp", [shifted])], { axis, keepdims: true });
      return node.op === "softmax"
        ? g.node("div", [g.node("exp", [shifted]), total])
        : g.node("sub", [shifted, g.node("log", [total])]);
    }
    if (node.op === "layernorm") {
      const x = input(0);
      const axis = x.shape.length - 1;
      const d = g.node("sub", [x, g.node("mean", [x], { axis, keepdims: true })]);
      const variance = g.node("mean", [g.node("mul", [d, d])], { axis, keepdims: true });
      const eps = g.constant(node.attrs.eps as number);
      return g.node("div", [d, g.node("sqrt", [g.node("add", [variance, eps])])]);
    }
    return undefined;
  });
}

function hasNormalisation(nodes: readonly Node[]): boolean {
  return nodes.some(
    (n) =>
      n.op === "softmax" ||
      n.op === "log_softmax" ||
      n.op === "layernorm" ||
      (n.body !== undefined && hasNormalisation(n.body.graph.nodes)),
  );
}
