// The per-op conformance cases of the naive schedule, as data, shared by the WebGPU
// (test/codegen/wgsl/ops.test.ts) and CPU (test/runtime/cpu) suites, so both backends are
// held to the same graphs, values and tolerances. Every op of the IR but scans has
// cases; ints and data movement must match the reference exactly, floats within
// FLOAT_TOLERANCE (gelu's negative tail absolutely, see UNARY_TOLERANCE).
import { Graph } from "../../compiler/ir/graph.ts";
import type { Attrs } from "../../compiler/ir/node.ts";
import { OP_NAMES, UNARY_ELEMENTWISE_OPS, type OpName } from "../../compiler/ir/ops.ts";
import { tensor, type Tensor } from "../../runtime/reference/tensor.ts";
import type { Feeds, Tolerance } from "../codegen/wgsl/support.ts";

export interface Case {
  readonly label: string;
  readonly graph: Graph;
  readonly feeds: Feeds;
  readonly tol?: Tolerance;
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function floats(shape: readonly number[], seed: number, scale = 2): Tensor {
  const next = random(seed);
  return tensor(
    "float",
    shape,
    Array.from({ length: size(shape) }, () => (next() * 2 - 1) * scale),
  );
}

function ints(shape: readonly number[], seed: number, lo: number, hi: number): Tensor {
  const next = random(seed);
  return tensor(
    "int",
    shape,
    Array.from({ length: size(shape) }, () => lo + Math.floor(next() * (hi - lo + 1))),
  );
}

/** `op` on operands given as graph inputs a0, a1, ...; the result is output y. */
export function opCase(
  label: string,
  op: OpName,
  operands: readonly Tensor[],
  attrs: Attrs = {},
  tol?: Tolerance,
): Case {
  const graph = new Graph(label);
  const inputs: Record<string, Tensor> = {};
  const nodes = operands.map((t, i) => {
    inputs[`a${i}`] = t;
    return graph.input(`a${i}`, t.dtype, t.shape);
  });
  graph.output("y", graph.node(op, nodes, attrs));
  return { label, graph, feeds: { inputs }, ...(tol ? { tol } : {}) };
}

/** A graph built by hand: `build` adds outputs; `inputs` feeds its inputs. */
function graphCase(
  label: string,
  build: (g: Graph) => void,
  inputs: Record<string, Tensor> = {},
  params: Record<string, Tensor> = {},
): Case {
  const graph = new Graph(label);
  build(graph);
  return { label, graph, feeds: { inputs, params } };
}

// Values that exercise every branch of the unary kernels: both sides of tanh's 0.625 switch,
// expm1's 0.5, softplus's 20, tiny values where formulas cancel, overflow, NaN, ±Infinity.
const SPECIAL = [
  0,
  -0,
  1e-7,
  -1e-7,
  1e-4,
  -1e-4,
  0.3,
  -0.3,
  0.49,
  -0.49,
  0.51,
  -0.51,
  0.6249,
  0.6251,
  -0.6251,
  1,
  -1,
  2.5,
  -2.5,
  6,
  -6,
  8.5,
  -8.5,
  19.9,
  20,
  20.1,
  -20,
  44,
  -44,
  88,
  90,
  -90,
  1e30,
  -1e30,
  NaN,
  Infinity,
  -Infinity,
];
const SWEEP = Array.from({ length: 161 }, (_, i) => -20 + i * 0.25 + 0.01);
const NEAR_ONE = [1 + 1e-3, 1 - 1e-3, 1 + 1e-5, 0.999, 1.5, 0.75, 1e-30, 3e38, 1e-3];
const UNARY_VALUES = tensor(
  "float",
  [SPECIAL.length + SWEEP.length + NEAR_ONE.length],
  [...SPECIAL, ...SWEEP, ...NEAR_ONE],
);

const UNARY = UNARY_ELEMENTWISE_OPS;

const UNARY_ATTRS: Partial<Record<OpName, Attrs>> = {
  elu: { alpha: 0.7 },
  leaky_relu: { slope: 0.01 },
};

/**
 * The one op held to a looser (absolute) tolerance: the reference's gelu is PyTorch's
 * x * 0.5 * (1 + erf(x / √2)) in float64, which cancels in the negative tail (0 below
 * x ≈ -8.5, where the true value is about -1e-17); the WebGPU kernel computes the tail from
 * erfc, so the two differ there by ~1e-16 in absolute terms and arbitrarily in relative ones.
 */
const UNARY_TOLERANCE: Partial<Record<OpName, Tolerance>> = {
  gelu: { rtol: 1e-5, atol: 1e-12 },
};

function unaryCases(op: OpName): Case[] {
  const attrs = UNARY_ATTRS[op] ?? {};
  const tol = UNARY_TOLERANCE[op];
  return [
    opCase(`${op} on special values`, op, [UNARY_VALUES], attrs, tol),
    opCase(`${op} on [3, 50] random`, op, [floats([3, 50], 11, 4)], attrs, tol),
  ];
}

const INT_EDGE = tensor("int", [8], [2147483647, -2147483648, -7, 7, 0, -1, 1, 123456789]);
const INT_EDGE_B = tensor("int", [8], [1, -1, 2, -2, 3, -3, 7, 1000]);

function binaryCases(op: OpName, floatsToo: boolean, intsToo: boolean): Case[] {
  const cases: Case[] = [];
  if (floatsToo) {
    cases.push(
      opCase(`${op} f32 same shape`, op, [floats([3, 4], 1), floats([3, 4], 2)]),
      opCase(`${op} f32 [2,3,4] with [4]`, op, [floats([2, 3, 4], 3), floats([4], 4)]),
      opCase(`${op} f32 [2,1,4] with [3,1]`, op, [floats([2, 1, 4], 5), floats([3, 1], 6)]),
      opCase(`${op} f32 scalar with [5]`, op, [floats([], 7), floats([5], 8)]),
      opCase(`${op} f32 [4,1] with [1,5]`, op, [floats([4, 1], 9), floats([1, 5], 10)]),
      opCase(`${op} f32 rank 5`, op, [floats([2, 1, 3, 1, 2], 12), floats([2, 1, 4, 1], 13)]),
      opCase(`${op} f32 rank 8 alternating`, op, [
        floats([2, 1, 2, 1, 2, 1, 2, 1], 16),
        floats([1, 3, 1, 2, 1, 2, 1, 2], 17),
      ]),
      opCase(`${op} f32 rank 7`, op, [
        floats([2, 1, 2, 1, 2, 3, 2], 14),
        floats([2, 1, 2, 1, 2, 3, 2], 15),
      ]),
      opCase(`${op} f32 specials`, op, [
        tensor("float", [6], [NaN, 1, Infinity, -0, 0, 2]),
        tensor("float", [6], [1, NaN, Infinity, 0, -0, 2]),
      ]),
    );
  }
  if (intsToo) {
    const nonzero = (t: Tensor) =>
      tensor(
        "int",
        t.shape,
        Array.from(t.data, (v) => (v === 0 ? 3 : v)),
      );
    cases.push(
      opCase(`${op} i32 same shape`, op, [
        ints([3, 4], 21, -20, 20),
        nonzero(ints([3, 4], 22, -6, 6)),
      ]),
      opCase(`${op} i32 [2,3,4] with [3,1]`, op, [
        ints([2, 3, 4], 23, -50, 50),
        nonzero(ints([3, 1], 24, -5, 5)),
      ]),
      opCase(`${op} i32 edges`, op, [INT_EDGE, INT_EDGE_B]),
    );
  }
  return cases;
}

function reductionCases(op: "sum" | "mean" | "max" | "argmax"): Case[] {
  const x = floats([3, 4, 5], 31, 3);
  const ties = tensor("int", [2, 6], [1, 5, 5, 2, 5, 0, -3, -3, -3, -4, -3, -9]);
  const cases = [0, 1, 2].map((axis) => opCase(`${op} axis ${axis}`, op, [x], { axis }));
  cases.push(
    opCase(`${op} axis 1 keepdims`, op, [x], { axis: 1, keepdims: true }),
    opCase(`${op} long axis`, op, [floats([2, 1000], 32)], { axis: 1 }),
    opCase(
      `${op} NaN and infinities`,
      op,
      [tensor("float", [3, 3], [1, NaN, 2, -Infinity, -Infinity, -Infinity, 3, Infinity, 3])],
      { axis: 1 },
    ),
  );
  if (op !== "mean") {
    cases.push(
      opCase(`${op} i32 ties`, op, [ties], { axis: 1 }),
      opCase(`${op} i32 axis 0`, op, [ints([5, 3], 33, -100, 100)], { axis: 0 }),
      opCase(`${op} i32 wrap`, op, [tensor("int", [3], [2147483647, 1, 5])], { axis: 0 }),
      opCase(`${op} f32 ties`, op, [tensor("float", [2, 4], [1, 3, 3, 0, -0, 0, -1, 0])], {
        axis: 1,
      }),
    );
  }
  return cases;
}

function concatCases(): Case[] {
  const many = Array.from({ length: 150 }, (_, i) => floats([2, 1, 3], 100 + i));
  return [
    opCase(
      "concat axis 0",
      "concat",
      [floats([2, 3], 41), floats([1, 3], 42), floats([3, 3], 43)],
      { axis: 0 },
    ),
    opCase("concat axis 1", "concat", [floats([2, 3, 2], 44), floats([2, 1, 2], 45)], { axis: 1 }),
    opCase(
      "concat axis 2 ints",
      "concat",
      [ints([2, 2, 1], 46, -9, 9), ints([2, 2, 3], 47, -9, 9)],
      { axis: 2 },
    ),
    opCase("concat of 150 inputs", "concat", many, { axis: 1 }),
    opCase("concat with an empty input", "concat", [floats([2, 0], 48), floats([2, 3], 49)], {
      axis: 1,
    }),
    opCase("concat to an empty result", "concat", [floats([2, 0], 50), floats([2, 0], 51)], {
      axis: 1,
    }),
  ];
}

export function cases(op: OpName): Case[] {
  if ((UNARY as readonly string[]).includes(op)) return unaryCases(op);
  switch (op) {
    case "input":
      return [
        graphCase("an input read back unchanged", (g) => g.output("y", g.input("x", "int", [4])), {
          x: ints([4], 1, -5, 5),
        }),
      ];
    case "param":
      return [
        graphCase(
          "a param read back, and an output that reshapes it",
          (g) => {
            const w = g.param("w", [2, 3]);
            g.output("w", w);
            g.output("r", g.node("reshape", [w], { shape: [3, 2] }));
          },
          {},
          { w: floats([2, 3], 2) },
        ),
      ];
    case "const":
      return [
        graphCase("consts: float, int, -0, scalar", (g) => {
          g.output("f", g.constant(2.5, "float", [2, 3]));
          g.output("i", g.constant(-7, "int", [5]));
          g.output("z", g.constant(-0, "float", []));
          g.output(
            "sum",
            g.node("add", [g.constant(1.25, "float", [3]), g.constant(2, "float", [])]),
          );
        }),
      ];
    case "iota":
      return [
        graphCase("iota on each axis, both dtypes", (g) => {
          g.output("a0", g.node("iota", [], { axis: 0, dtype: "int", shape: [3, 4] }));
          g.output("a1", g.node("iota", [], { axis: 1, dtype: "float", shape: [3, 4] }));
          g.output("a2", g.node("iota", [], { axis: 1, dtype: "int", shape: [2, 5, 3] }));
        }),
      ];
    case "add":
    case "sub":
    case "mul":
    case "minimum":
    case "maximum":
    case "less":
    case "greater":
    case "equal":
      return binaryCases(op, true, true);
    case "div":
      return [
        ...binaryCases(op, true, false),
        opCase("div by zeros", op, [
          tensor("float", [3], [1, -1, 0]),
          tensor("float", [3], [0, 0, 0]),
        ]),
      ];
    case "floordiv":
    case "mod":
      return binaryCases(op, false, true);
    case "where":
      return [
        opCase("where f32 broadcast", op, [
          tensor("float", [3, 1], [1, 0, NaN]),
          floats([1, 4], 51),
          floats([], 52),
        ]),
        opCase("where i32 with -0 in the mask", op, [
          tensor("float", [2, 3], [0, -0, 1, -1, 0.5, 0]),
          ints([2, 3], 53, -9, 9),
          ints([3], 54, -9, 9),
        ]),
      ];
    case "cast":
      return [
        opCase(
          "cast f32 to i32 truncates",
          op,
          [tensor("float", [8], [-2.7, -2.2, -0.5, 0, 0.5, 2.2, 2.7, 1e6 + 0.5])],
          { to: "int" },
        ),
        opCase("cast i32 to f32", op, [tensor("int", [4], [-3, 0, 16777217, 2147483647])], {
          to: "float",
        }),
        opCase("cast f32 to f32 (an alias)", op, [floats([3], 55)], { to: "float" }),
        opCase("cast i32 to i32 (an alias)", op, [ints([3], 56, -5, 5)], { to: "int" }),
      ];
    case "matmul":
      return [
        opCase("matmul [3,5] @ [5,4]", op, [floats([3, 5], 61), floats([5, 4], 62)]),
        opCase("matmul transposeB", op, [floats([3, 5], 63), floats([4, 5], 64)], {
          transposeB: true,
        }),
        opCase("matmul batched, b broadcast", op, [floats([2, 3, 5], 65), floats([5, 4], 66)]),
        opCase("matmul batch broadcast both ways", op, [
          floats([2, 1, 3, 5], 67),
          floats([1, 4, 5, 6], 68),
        ]),
        opCase("matmul tile edges 9x33 @ 33x17", op, [floats([9, 33], 69), floats([33, 17], 70)]),
        opCase("matmul k = 300 transposeB", op, [floats([4, 300], 71), floats([7, 300], 72)], {
          transposeB: true,
        }),
      ];
    case "sum":
    case "mean":
    case "max":
    case "argmax":
      return reductionCases(op);
    case "topk":
      return [
        opCase(
          "topk f32 with ties",
          op,
          [tensor("float", [2, 6], [3, 1, 3, 2, 3, 0, 0, -0, 5, NaN, 5, 1])],
          { k: 4 },
        ),
        opCase("topk f32 random", op, [floats([4, 10], 81)], { k: 3 }),
        opCase("topk i32 k = n", op, [tensor("int", [1, 5], [2, 7, 2, 7, -1])], { k: 5 }),
        opCase("topk rank 3", op, [floats([2, 3, 8], 82)], { k: 2 }),
      ];
    case "softmax":
    case "log_softmax":
      return [
        opCase(`${op} axis 1`, op, [floats([3, 7], 91, 4)], { axis: 1 }),
        opCase(`${op} axis 0`, op, [floats([5, 3, 2], 92, 4)], { axis: 0 }),
        opCase(
          `${op} large and -inf logits`,
          op,
          [tensor("float", [2, 4], [1000, 999, -Infinity, 0, 100, 100, 100, -100])],
          { axis: 1 },
        ),
        opCase(`${op} vocabulary 500`, op, [floats([2, 500], 93, 6)], { axis: 1 }),
      ];
    case "layernorm":
      return [
        opCase("layernorm [4,16]", op, [floats([4, 16], 101, 3)], { eps: 1e-5 }),
        opCase(
          "layernorm offset rows [2,3,64]",
          op,
          [
            tensor(
              "float",
              [2, 3, 64],
              Array.from(floats([2, 3, 64], 102).data, (v) => v + 5),
            ),
          ],
          { eps: 1e-5 },
        ),
        opCase("layernorm n = 1", op, [floats([3, 1], 103)], { eps: 1e-3 }),
      ];
    case "concat":
      return concatCases();
    case "slice":
      return [
        opCase("slice axis 0", op, [floats([5, 3], 111)], { axis: 0, start: 1, end: 4 }),
        opCase("slice axis 1", op, [floats([2, 6, 2], 112)], { axis: 1, start: 2, end: 5 }),
        opCase("slice axis 2 ints", op, [ints([2, 2, 7], 113, -9, 9)], {
          axis: 2,
          start: 6,
          end: 7,
        }),
      ];
    case "reshape":
      return [
        opCase("reshape of an input", op, [floats([2, 6], 121)], { shape: [3, 4] }),
        graphCase(
          "reshape of a computed value, read by an op",
          (g) => {
            const x = g.input("x", "float", [2, 3]);
            const r = g.node("reshape", [g.node("exp", [x])], { shape: [3, 2] });
            g.output("r", r);
            g.output("y", g.node("add", [r, g.constant(1, "float", [2])]));
          },
          { x: floats([2, 3], 122) },
        ),
      ];
    case "transpose":
      return [
        opCase("transpose [3,4]", op, [floats([3, 4], 125)]),
        opCase("transpose [2,3,5] ints", op, [ints([2, 3, 5], 126, -9, 9)]),
        opCase("transpose [2,2,1,3]", op, [floats([2, 2, 1, 3], 127)]),
      ];
    case "gather":
      return [
        opCase("gather rows", op, [floats([7, 3], 131), ints([2, 4], 132, 0, 6)]),
        opCase("gather from a 1-D int table", op, [ints([5], 133, -9, 9), ints([3], 134, 0, 4)]),
        opCase("gather [4,2,3] by a scalar", op, [floats([4, 2, 3], 135), tensor("int", [], [3])]),
      ];
    case "take_along":
      return [
        opCase("take_along [3,6] by [3,4]", op, [floats([3, 6], 141), ints([3, 4], 142, 0, 5)]),
        opCase("take_along rank 3 ints", op, [
          ints([2, 2, 5], 143, -9, 9),
          ints([2, 2, 2], 144, 0, 4),
        ]),
      ];
    case "uniform":
      return [
        opCase(
          "uniform [3,70]",
          op,
          [tensor("int", [], [5])],
          { seed: 1234, shape: [3, 70] },
          {
            rtol: 0,
            atol: 0,
          },
        ),
        opCase(
          "uniform with a negative step, seed 2^32 - 1",
          op,
          [tensor("int", [], [-3])],
          {
            seed: 0xffffffff,
            shape: [40],
          },
          { rtol: 0, atol: 0 },
        ),
      ];
    case "sample":
      return [
        opCase("sample t = 1, 64 rows", op, [floats([64, 5], 151, 3), tensor("int", [], [2])], {
          seed: 7,
          temperature: 1,
        }),
        opCase("sample t = 0.6", op, [floats([16, 9], 152, 3), tensor("int", [], [0])], {
          seed: 99,
          temperature: 0.6,
        }),
        opCase(
          "sample with a -inf logit",
          op,
          [
            tensor("float", [3, 3], [0, -Infinity, 0, -Infinity, -Infinity, 1, 2, 2, 2]),
            tensor("int", [], [4]),
          ],
          { seed: 3, temperature: 1 },
        ),
      ];
    case "scan":
    case "scan_output":
      return [];
  }
  throw new Error(`no conformance cases for '${op}'`);
}

export const TESTED = OP_NAMES.filter((op) => op !== "scan" && op !== "scan_output");
