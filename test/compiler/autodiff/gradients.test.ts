// Every op's gradient against central finite differences in float64, and whole unrolled
// models (BPTT) the same way: the oracle for compiler/autodiff before PyTorch's gradients.
import { describe, expect, it } from "vitest";
import { withGradients } from "../../../compiler/autodiff/reverse.ts";
import { Graph } from "../../../compiler/ir/graph.ts";
import type { Node } from "../../../compiler/ir/node.ts";
import { OP_NAMES, type OpName } from "../../../compiler/ir/ops.ts";
import { assertValid } from "../../../compiler/ir/verify.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { fromStored } from "../../../compiler/driver/run-model.ts";
import { tensor, type Tensor } from "../../../runtime/reference/tensor.ts";
import { initialWeights } from "../../../runtime/weights/init.ts";
import { checkOk } from "../../support/check.ts";

/** Deterministic values in [-1.5, 1.5] away from 0 (kinks of relu, abs, ...). */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const v = Math.sin(seed * 12.9898 + i * 78.233) * 1.5;
    return Math.abs(v) < 0.05 ? v + 0.1 : v;
  });
}

type Feeds = { inputs: Record<string, Tensor>; params: Record<string, Tensor> };

/** Σ y·c of the forward graph, for finite differences. */
function objective(graph: Graph, feeds: Feeds, cotangents: Record<string, Tensor>): number {
  const out = evaluate(graph, feeds);
  let total = 0;
  for (const [name, c] of Object.entries(cotangents)) {
    const y = out[name]!;
    for (let i = 0; i < y.data.length; i++) total += y.data[i]! * c.data[i]!;
  }
  return total;
}

/** Max over checked entries of |autodiff - central difference| / max(1, |central difference|). */
function gradientError(
  graph: Graph,
  feeds: Feeds,
  wrt: { kind: "inputs" | "params"; name: string }[],
  sample = Infinity,
): number {
  const cotangents: Record<string, Tensor> = {};
  [...graph.outputs].forEach(([name, node], k) => {
    if (node.dtype === "float")
      cotangents[name] = tensor(
        "float",
        node.shape,
        values(
          node.shape.reduce((a, b) => a * b, 1),
          100 + k,
        ),
      );
  });
  const withGrads = withGradients(graph, {
    inputs: wrt.filter((w) => w.kind === "inputs").map((w) => w.name),
  });
  assertValid(withGrads);
  const inputs = {
    ...feeds.inputs,
    ...Object.fromEntries(Object.entries(cotangents).map(([n, t]) => [`cotangent.${n}`, t])),
  };
  const grads = evaluate(withGrads, { inputs, params: feeds.params });
  let worst = 0;
  const h = 1e-6;
  for (const { kind, name } of wrt) {
    const base = feeds[kind][name]!;
    const g = grads[`grad.${name}`]!;
    expect(g.shape).toEqual(base.shape);
    const count = Math.min(base.data.length, sample);
    for (let k = 0; k < count; k++) {
      const i = Math.floor((k * base.data.length) / count);
      const shifted = (delta: number) => {
        const data = Float64Array.from(base.data);
        data[i]! += delta;
        return objective(
          graph,
          { ...feeds, [kind]: { ...feeds[kind], [name]: { ...base, data } } },
          cotangents,
        );
      };
      const fd = (shifted(h) - shifted(-h)) / (2 * h);
      worst = Math.max(worst, Math.abs(g.data[i]! - fd) / Math.max(1, Math.abs(fd)));
    }
  }
  return worst;
}

interface OpCase {
  readonly op: OpName;
  readonly inputs: readonly (readonly number[])[];
  readonly attrs?: Record<string, number | boolean | readonly number[]>;
  /** Extra non-differentiable inputs, built in the graph. */
  readonly build?: (g: Graph, xs: Node[]) => Node;
}

const UNARY: OpName[] = [
  "neg",
  "sigmoid",
  "tanh",
  "relu",
  "hard_sigmoid",
  "hard_tanh",
  "softsign",
  "gelu",
  "selu",
  "silu",
  "exp",
  "abs",
];

const CASES: OpCase[] = [
  ...UNARY.map((op) => ({ op, inputs: [[2, 3]] })),
  { op: "elu", inputs: [[2, 3]], attrs: { alpha: 1.3 } },
  { op: "leaky_relu", inputs: [[2, 3]], attrs: { slope: 0.2 } },
  { op: "softplus", inputs: [[2, 3]] },
  {
    op: "log",
    inputs: [[2, 3]],
    build: (g, [x]) => g.node("log", [g.node("add", [g.node("abs", [x!]), g.constant(0.5)])]),
  },
  {
    op: "sqrt",
    inputs: [[2, 3]],
    build: (g, [x]) => g.node("sqrt", [g.node("add", [g.node("abs", [x!]), g.constant(0.5)])]),
  },
  { op: "add", inputs: [[2, 3], [3]] },
  {
    op: "sub",
    inputs: [
      [2, 1],
      [2, 3],
    ],
  },
  {
    op: "mul",
    inputs: [
      [2, 3],
      [2, 3],
    ],
  },
  {
    op: "div",
    inputs: [
      [2, 3],
      [1, 3],
    ],
    build: (g, [x, y]) =>
      g.node("div", [x!, g.node("add", [g.node("abs", [y!]), g.constant(0.5)])]),
  },
  {
    op: "minimum",
    inputs: [
      [2, 3],
      [2, 3],
    ],
  },
  { op: "maximum", inputs: [[3], [2, 3]] },
  {
    op: "where",
    inputs: [
      [2, 3],
      [2, 3],
    ],
    build: (g, [x, y]) => g.node("where", [g.node("greater", [x!, g.constant(0)]), x!, y!]),
  },
  {
    op: "matmul",
    inputs: [
      [2, 3],
      [4, 3],
    ],
    attrs: { transposeB: true },
  },
  {
    op: "matmul",
    inputs: [
      [2, 5, 3],
      [3, 4],
    ],
  },
  {
    op: "matmul",
    inputs: [
      [2, 5, 3],
      [2, 4, 3],
    ],
    attrs: { transposeB: true },
  },
  { op: "sum", inputs: [[2, 3, 4]], attrs: { axis: 1, keepdims: false } },
  { op: "mean", inputs: [[2, 3, 4]], attrs: { axis: 2, keepdims: true } },
  { op: "max", inputs: [[2, 3, 4]], attrs: { axis: 1, keepdims: false } },
  { op: "softmax", inputs: [[2, 5]], attrs: { axis: 1 } },
  { op: "log_softmax", inputs: [[3, 2, 4]], attrs: { axis: 1 } },
  { op: "layernorm", inputs: [[3, 6]], attrs: { eps: 1e-5 } },
  {
    op: "concat",
    inputs: [
      [2, 3],
      [2, 2],
    ],
    attrs: { axis: 1 },
  },
  { op: "slice", inputs: [[2, 6]], attrs: { axis: 1, start: 1, end: 4 } },
  { op: "transpose", inputs: [[2, 3, 4]] },
  { op: "reshape", inputs: [[2, 6]], attrs: { shape: [3, 4] } },
  {
    op: "gather",
    inputs: [[5, 3]],
    build: (g, [x]) =>
      g.node("gather", [x!, g.node("iota", [], { axis: 1, dtype: "int", shape: [2, 4] })]),
  },
  {
    op: "take_along",
    inputs: [[2, 5]],
    build: (g, [x]) => g.node("take_along", [x!, g.node("topk", [g.node("neg", [x!])], { k: 3 })]),
  },
];

describe("every op's gradient equals finite differences (float64)", () => {
  const differentiable = new Set(CASES.map((c) => c.op));
  it("covers every op that carries a gradient", () => {
    const none = new Set<OpName>([
      "input",
      "param",
      "const",
      "iota",
      "floordiv",
      "mod",
      "less",
      "greater",
      "equal",
      "cast",
      "argmax",
      "topk",
      "sample",
      "uniform",
      "scan",
      "scan_output",
    ]);
    expect(OP_NAMES.filter((op) => !none.has(op) && !differentiable.has(op))).toEqual([]);
  });

  it.each(CASES.map((c, i) => [`${c.op} ${JSON.stringify(c.inputs)}`, i] as const))(
    "%s",
    (_, index) => {
      const c = CASES[index]!;
      const g = new Graph();
      const xs = c.inputs.map((shape, k) => g.input(`x${k}`, "float", shape));
      g.output("y", c.build ? c.build(g, xs) : g.node(c.op, xs, c.attrs ?? {}));
      const inputs = Object.fromEntries(
        c.inputs.map((shape, k) => [
          `x${k}`,
          tensor(
            "float",
            shape,
            values(
              shape.reduce((a, b) => a * b, 1),
              k + 1,
            ),
          ),
        ]),
      );
      const error = gradientError(
        g,
        { inputs, params: {} },
        c.inputs.map((_, k) => ({ kind: "inputs" as const, name: `x${k}` })),
      );
      expect(error).toBeLessThan(1e-6);
    },
  );
});

describe("backpropagation through time equals finite differences (float64)", () => {
  it.each([
    ["2-layer bidirectional lstm, variable lengths", "lstm(hidden: 3), layers: 2, bidirectional"],
    ["gru", "gru(hidden: 3)"],
    ["layernorm_lstm", "layernorm_lstm(hidden: 2)"],
    ["peephole_lstm, sum-merged", "peephole_lstm(hidden: 2), bidirectional, merge: sum"],
    ["clipped_gru", "clipped_gru(hidden: 3, limit: 0.3)"],
  ])("%s", (_, cell) => {
    const model = checkOk(
      `model m {\n  input x: float[T, 2]\n  enc = encode(x, cell: ${cell})\n  output final = enc.final\n  output outputs = enc.outputs\n}`,
    ).models[0]!;
    const graph = compileModel(model, { batch: 3, steps: { T: 4 } });
    const weights = initialWeights(model.params, 3, "F64");
    const feeds: Feeds = {
      inputs: {
        x: tensor("float", [3, 4, 2], values(24, 7)),
        "lengths.T": tensor("int", [3], [4, 2, 3]),
      },
      params: Object.fromEntries([...weights].map(([n, t]) => [n, fromStored(t)])),
    };
    const wrt = [
      ...model.params.map((p) => ({ kind: "params" as const, name: p.name })),
      { kind: "inputs" as const, name: "x" },
    ];
    expect(gradientError(graph, feeds, wrt, 4)).toBeLessThan(1e-6);
  });
});
