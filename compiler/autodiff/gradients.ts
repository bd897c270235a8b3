/**
 * The gradient of every op, defined once: given a node and the gradient g of a scalar with
 * respect to it (same shape), the gradients with respect to each input (undefined where
 * none flows: integer inputs, masks, indices, sampled tokens). Rules build ordinary IR, so a
 * backward graph goes through the same passes and code generation as a forward one.
 *
 * Conventions follow PyTorch: relu'(0) = 0, a clamp passes gradient at its bounds; maximum
 * and minimum split the gradient evenly on ties (like torch.maximum); `max` over an axis
 * splits it evenly among maximal elements (like torch.amax).
 */
import type { Node } from "../ir/node.ts";
import type { OpName } from "../ir/ops.ts";
import type { Builder } from "./builder.ts";

export type GradientRule = (node: Node, g: Node, b: Builder) => readonly (Node | undefined)[];

const none: GradientRule = (node) => node.inputs.map(() => undefined);

/** A rule for y = f(x) elementwise, from dy/dx as a function of x and y. */
function unary(derivative: (x: Node, y: Node, b: Builder, node: Node) => Node): GradientRule {
  return (node, g, b) => [b.mul(g, derivative(node.inputs[0]!, node, b, node))];
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

function num(node: Node, key: string): number {
  return node.attrs[key] as number;
}

/** Sum over an axis of a reduction's gradient broadcast back over it. */
function expandOverAxis(g: Node, node: Node, b: Builder): Node {
  const x = node.inputs[0]!;
  const axis = num(node, "axis");
  const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
  return b.broadcastTo(b.reshape(g, kept), x.shape);
}

export const GRADIENTS: Record<OpName, GradientRule> = {
  input: none,
  param: none,
  const: none,
  iota: none,

  neg: (_, g, b) => [b.neg(g)],
  sigmoid: unary((_, y, b) => b.mul(y, b.sub(b.scalar(1), y))),
  tanh: unary((_, y, b) => b.sub(b.scalar(1), b.mul(y, y))),
  relu: unary((x, _, b) => b.greater(x, b.scalar(0))),
  hard_sigmoid: unary((x, _, b) =>
    b.mul(b.mul(b.greater(x, b.scalar(-3)), b.less(x, b.scalar(3))), b.scalar(1 / 6)),
  ),
  hard_tanh: unary((x, _, b) => b.mul(b.greater(x, b.scalar(-1)), b.less(x, b.scalar(1)))),
  softsign: unary((x, _, b) => {
    const d = b.add(b.scalar(1), b.graph.node("abs", [x]));
    return b.div(b.scalar(1), b.mul(d, d));
  }),
  gelu: unary((x, _, b) => {
    // d/dx x Φ(x) = Φ(x) + x φ(x), Φ(x) = (1 + erf(x/√2)) / 2 = gelu(x) / x; computed directly:
    const phi = b.mul(
      b.graph.node("exp", [b.mul(b.mul(x, x), b.scalar(-0.5))]),
      b.scalar(1 / Math.sqrt(2 * Math.PI)),
    );
    const cdf = b.div(b.graph.node("gelu", [x]), x);
    const safeCdf = b.where(b.equal(x, b.scalar(0)), b.scalar(0.5), cdf);
    return b.add(safeCdf, b.mul(x, phi));
  }),
  elu: unary((x, y, b, node) =>
    b.where(b.greater(x, b.scalar(0)), b.scalar(1), b.add(y, b.scalar(num(node, "alpha")))),
  ),
  selu: unary((x, _, b) =>
    b.where(
      b.greater(x, b.scalar(0)),
      b.scalar(SELU_SCALE),
      b.mul(b.graph.node("exp", [x]), b.scalar(SELU_SCALE * SELU_ALPHA)),
    ),
  ),
  silu: unary((x, _, b) => {
    const s = b.graph.node("sigmoid", [x]);
    return b.add(s, b.mul(b.mul(x, s), b.sub(b.scalar(1), s)));
  }),
  softplus: unary((x, _, b) =>
    b.where(b.greater(x, b.scalar(20)), b.scalar(1), b.graph.node("sigmoid", [x])),
  ),
  leaky_relu: unary((x, _, b, node) =>
    b.where(b.greater(x, b.scalar(0)), b.scalar(1), b.scalar(num(node, "slope"))),
  ),
  exp: unary((_, y) => y),
  log: unary((x, _, b) => b.div(b.scalar(1), x)),
  sqrt: unary((_, y, b) => b.div(b.scalar(0.5), y)),
  abs: unary((x, _, b) => b.sub(b.greater(x, b.scalar(0)), b.less(x, b.scalar(0)))),

  add: (node, g, b) => [
    b.unbroadcast(g, node.inputs[0]!.shape),
    b.unbroadcast(g, node.inputs[1]!.shape),
  ],
  sub: (node, g, b) => [
    b.unbroadcast(g, node.inputs[0]!.shape),
    b.unbroadcast(b.neg(g), node.inputs[1]!.shape),
  ],
  mul: (node, g, b) => {
    const [x, y] = node.inputs as [Node, Node];
    if (x.dtype !== "float") return [undefined, undefined];
    return [b.unbroadcast(b.mul(g, y), x.shape), b.unbroadcast(b.mul(g, x), y.shape)];
  },
  div: (node, g, b) => {
    const [x, y] = node.inputs as [Node, Node];
    return [
      b.unbroadcast(b.div(g, y), x.shape),
      b.unbroadcast(b.neg(b.div(b.mul(g, node), y)), y.shape),
    ];
  },
  minimum: (node, g, b) => pickGradient(node, g, b, "less"),
  maximum: (node, g, b) => pickGradient(node, g, b, "greater"),
  floordiv: none,
  mod: none,
  less: none,
  greater: none,
  equal: none,
  where: (node, g, b) => {
    const [mask, x, y] = node.inputs as [Node, Node, Node];
    if (x.dtype !== "float") return [undefined, undefined, undefined];
    const zero = b.scalar(0);
    return [
      undefined,
      b.unbroadcast(b.where(mask, g, zero), x.shape),
      b.unbroadcast(b.where(mask, zero, g), y.shape),
    ];
  },
  cast: none,

  matmul: (node, g, b) => {
    const [x, w] = node.inputs as [Node, Node];
    const t = (n: Node) => b.graph.node("transpose", [n]);
    // y = x w (or x wᵀ): dx = g wᵀ (or g w); dw = xᵀ g (or gᵀ x), summed over broadcast batch axes.
    const gx = node.attrs.transposeB
      ? b.graph.node("matmul", [g, w])
      : b.graph.node("matmul", [g, w], { transposeB: true });
    const gw = node.attrs.transposeB
      ? b.graph.node("matmul", [t(g), x])
      : b.graph.node("matmul", [t(x), g]);
    return [b.unbroadcast(gx, x.shape), b.unbroadcast(gw, w.shape)];
  },
  sum: (node, g, b) => [expandOverAxis(g, node, b)],
  mean: (node, g, b) => [
    b.mul(expandOverAxis(g, node, b), b.scalar(1 / node.inputs[0]!.shape[num(node, "axis")]!)),
  ],
  max: (node, g, b) => {
    const x = node.inputs[0]!;
    const axis = num(node, "axis");
    const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
    const top = b.reshape(node, kept);
    const hits = b.equal(x, top);
    const count = b.sum(hits, axis, true);
    return [b.div(b.mul(hits, b.broadcastTo(b.reshape(g, kept), x.shape)), count)];
  },
  argmax: none,
  topk: none,
  softmax: (node, g, b) => {
    const axis = num(node, "axis");
    const dot = b.sum(b.mul(g, node), axis, true);
    return [b.mul(node, b.sub(g, dot))];
  },
  log_softmax: (node, g, b) => {
    const axis = num(node, "axis");
    const total = b.sum(g, axis, true);
    return [b.sub(g, b.mul(b.graph.node("exp", [node]), total))];
  },
  layernorm: (node, g, b) => {
    // y = (x - μ)/σ over the last axis: dx = (g - mean(g) - y·mean(g·y)) / σ.
    const x = node.inputs[0]!;
    const axis = x.shape.length - 1;
    const n = x.shape[axis]!;
    const mean = (v: Node) => b.mul(b.sum(v, axis, true), b.scalar(1 / n));
    const centred = b.sub(x, mean(x));
    const sigma = b.graph.node("sqrt", [
      b.add(mean(b.mul(centred, centred)), b.scalar(num(node, "eps"))),
    ]);
    return [b.div(b.sub(b.sub(g, mean(g)), b.mul(node, mean(b.mul(g, node)))), sigma)];
  },

  concat: (node, g, b) => {
    const axis = num(node, "axis");
    let offset = 0;
    return node.inputs.map((x) => {
      const start = offset;
      offset += x.shape[axis]!;
      return x.dtype === "float"
        ? b.graph.node("slice", [g], { axis, start, end: offset })
        : undefined;
    });
  },
  slice: (node, g, b) => {
    const x = node.inputs[0]!;
    if (x.dtype !== "float") return [undefined];
    const axis = num(node, "axis");
    const [start, end] = [num(node, "start"), num(node, "end")];
    const pad = (size: number) => b.zeros(x.shape.map((d, i) => (i === axis ? size : d)));
    const parts = [
      ...(start > 0 ? [pad(start)] : []),
      g,
      ...(end < x.shape[axis]! ? [pad(x.shape[axis]! - end)] : []),
    ];
    return [parts.length === 1 ? g : b.graph.node("concat", parts, { axis })];
  },
  transpose: (_, g, b) => [b.graph.node("transpose", [g])],
  reshape: (node, g, b) => [
    node.inputs[0]!.dtype === "float" ? b.reshape(g, node.inputs[0]!.shape) : undefined,
  ],
  gather: (node, g, b) => {
    // d table[v] = Σ over positions whose index is v: onehotᵀ g, with the positions flattened.
    const [table, indices] = node.inputs as [Node, Node];
    const rows = indices.shape.reduce((a, c) => a * c, 1);
    const [vocab, ...rest] = table.shape as [number, ...number[]];
    const width = rest.reduce((a, c) => a * c, 1);
    const ids = b.reshape(indices, [rows, 1]);
    const onehot = b.equal(
      ids,
      b.graph.node("iota", [], { axis: 1, dtype: "int", shape: [1, vocab] }),
    );
    const flat = b.reshape(g, [rows, width]);
    const grad = b.graph.node("matmul", [b.graph.node("transpose", [onehot]), flat]);
    return [b.reshape(grad, table.shape), undefined];
  },
  take_along: (node, g, b) => {
    const [data, indices] = node.inputs as [Node, Node];
    const n = data.shape[data.shape.length - 1]!;
    const k = indices.shape[indices.shape.length - 1]!;
    const lead = data.shape.slice(0, -1);
    const positions = b.graph.node("iota", [], {
      axis: lead.length + 1,
      dtype: "int",
      shape: [...lead.map(() => 1), 1, n],
    });
    const onehot = b.equal(b.reshape(indices, [...lead, k, 1]), positions);
    const spread = b.mul(onehot, b.reshape(g, [...lead, k, 1]));
    return [b.sum(spread, lead.length), undefined];
  },

  sample: none,
  uniform: none,
  scan: () => {
    throw new Error("internal: differentiate the unrolled graph (run the unroll pass first)");
  },
  scan_output: () => {
    throw new Error("internal: differentiate the unrolled graph (run the unroll pass first)");
  },
};

/** minimum/maximum: the gradient goes to the chosen operand, split evenly on ties. */
function pickGradient(
  node: Node,
  g: Node,
  b: Builder,
  wins: "less" | "greater",
): (Node | undefined)[] {
  const [x, y] = node.inputs as [Node, Node];
  if (x.dtype !== "float") return [undefined, undefined];
  const first = b.graph.node(wins, [x, y]);
  const tie = b.mul(b.equal(x, y), b.scalar(0.5));
  const toX = b.add(first, tie);
  const toY = b.sub(b.scalar(1), toX);
  return [b.unbroadcast(b.mul(g, toX), x.shape), b.unbroadcast(b.mul(g, toY), y.shape)];
}
