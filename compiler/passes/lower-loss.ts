/**
 * Lowering `loss` statements (training graphs): each loss is a mean over the positions that
 * count, as PyTorch's reduction="mean" — steps past a sequence's length never count, and
 * cross-entropy targets equal to `ignore` do not either (nn.CrossEntropyLoss(ignore_index)).
 * Several losses are summed into the graph output `loss`.
 *
 *   mse              (p - y)^2
 *   bce_with_logits  max(p, 0) - p·y + log(1 + exp(-|p|))     (PyTorch's stable form)
 *   cross_entropy    -log_softmax(logits)[target]
 */
import type { CheckedLoss } from "../check/losses.ts";
import type { Tensor as TensorType } from "../check/model-types.ts";
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";

export interface LossOperands {
  readonly prediction: Node;
  readonly target: Node;
  /** The prediction's checked type: its time axis decides the padding mask. */
  readonly type: TensorType;
  /** `lengths.<axis>` for a per-step loss. */
  readonly lengths: Node | undefined;
}

/** The sum of all elements of `x`, a scalar. */
export function sumAll(graph: Graph, x: Node): Node {
  const flat = graph.node("reshape", [x], { shape: [x.shape.reduce((a, c) => a * c, 1)] });
  return graph.node("sum", [flat], { axis: 0 });
}

/** 1 at counted positions of a [B, T, ...] or [B, ...] loss, 0 elsewhere, shaped like `like`. */
function stepMask(g: Graph, like: Node, lengths: Node | undefined): Node | undefined {
  if (!lengths) return undefined;
  const [batch, steps] = like.shape as [number, number];
  const positions = g.node("iota", [], { axis: 1, dtype: "int", shape: [batch, steps] });
  const valid = g.node("greater", [g.node("reshape", [lengths], { shape: [batch, 1] }), positions]);
  return g.node("reshape", [valid], { shape: [batch, steps, ...like.shape.slice(2).map(() => 1)] });
}

/** Mean of `values` over the positions where `mask` is 1 (all when there is no mask). */
function maskedMean(g: Graph, values: Node, mask: Node | undefined): Node {
  if (!mask)
    return g.node("mul", [
      sumAll(g, values),
      g.constant(1 / values.shape.reduce((a, b) => a * b, 1)),
    ]);
  const full = g.node("mul", [
    g.node("add", [g.constant(0, "float", values.shape), mask]),
    g.constant(1),
  ]);
  return g.node("div", [sumAll(g, g.node("mul", [values, full])), sumAll(g, full)]);
}

export function lowerLoss(g: Graph, loss: CheckedLoss, operands: LossOperands): Node {
  const { prediction: p, target: y, lengths } = operands;
  switch (loss.kind) {
    case "mse": {
      const d = g.node("sub", [p, y]);
      return maskedMean(g, g.node("mul", [d, d]), stepMask(g, p, lengths));
    }
    case "bce_with_logits": {
      const positive = g.node("maximum", [p, g.constant(0)]);
      const softplusNegAbs = g.node("log", [
        g.node("add", [g.constant(1), g.node("exp", [g.node("neg", [g.node("abs", [p])])])]),
      ]);
      const values = g.node("add", [
        g.node("sub", [positive, g.node("mul", [p, y])]),
        softplusNegAbs,
      ]);
      return maskedMean(g, values, stepMask(g, p, lengths));
    }
    case "cross_entropy": {
      const axis = p.shape.length - 1;
      const logp = g.node("log_softmax", [p], { axis });
      const picked = g.node("take_along", [
        logp,
        g.node("reshape", [y], { shape: [...y.shape, 1] }),
      ]);
      const nll = g.node("neg", [g.node("reshape", [picked], { shape: y.shape })]);
      let mask = stepMask(g, y, lengths);
      if (loss.ignoreIndex !== undefined) {
        const kept = g.node("sub", [
          g.constant(1),
          g.node("equal", [y, g.constant(loss.ignoreIndex, "int", [])]),
        ]);
        mask = mask ? g.node("mul", [g.node("reshape", [mask], { shape: y.shape }), kept]) : kept;
      }
      return maskedMean(g, nll, mask);
    }
  }
}
