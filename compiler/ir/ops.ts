/**
 * The closed set of IR operations: for each, what it computes (its reference meaning is
 * runtime/reference/kernels.ts) and its shape rule. Every other part of the compiler —
 * lowering, passes, code generation, autodiff — handles exactly these ops; adding one means
 * adding its name to runtime/ir/op-names.ts, its rule here, and an entry to every table keyed
 * by `OpName` (the type checker finds them all).
 *
 * Conventions: axes are non-negative after lowering; broadcasting follows NumPy (aligned on
 * the right, size 1 stretches); comparisons give float 0/1 masks; integer division floors.
 */
import {
  broadcastShapes,
  IRError,
  type Attrs,
  type Body,
  type DType,
} from "../../runtime/ir/node.ts";
import type { OpName } from "../../runtime/ir/op-names.ts";

export { broadcastShapes, IRError };
export type { OpName };

export interface Operand {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

function fail(message: string): never {
  throw new IRError(message);
}

function num(attrs: Attrs, key: string): number {
  const v = attrs[key];
  if (typeof v !== "number") fail(`attribute '${key}' must be a number`);
  return v;
}

function axisOf(attrs: Attrs, rank: number): number {
  const axis = num(attrs, "axis");
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank)
    fail(`axis ${axis} out of range for rank ${rank}`);
  return axis;
}

type Rule = (inputs: readonly Operand[], attrs: Attrs, body: Body | undefined) => Operand;

interface OpDef {
  readonly doc: string;
  /** Exact number of inputs, or undefined for variadic ops. */
  readonly arity: number | undefined;
  readonly infer: Rule;
  /** An elementwise function of one float operand (an activation, neg, exp, ...). */
  readonly unaryElementwise?: true;
}

const sameAsFirst: Rule = ([x]) => ({ dtype: x!.dtype, shape: x!.shape });

const floatUnary: Rule = ([x]) => {
  if (x!.dtype !== "float") fail("expects a float operand");
  return { dtype: "float", shape: x!.shape };
};

const arithmetic: Rule = ([a, b]) => {
  if (a!.dtype !== b!.dtype) fail(`operand types differ: ${a!.dtype} and ${b!.dtype}`);
  return { dtype: a!.dtype, shape: broadcastShapes(a!.shape, b!.shape) };
};

const intBinary: Rule = ([a, b]) => {
  if (a!.dtype !== "int" || b!.dtype !== "int") fail("expects int operands");
  return { dtype: "int", shape: broadcastShapes(a!.shape, b!.shape) };
};

const comparison: Rule = ([a, b]) => {
  if (a!.dtype !== b!.dtype) fail(`operand types differ: ${a!.dtype} and ${b!.dtype}`);
  return { dtype: "float", shape: broadcastShapes(a!.shape, b!.shape) };
};

const source: Rule = (_, attrs) => {
  const shape = attrs.shape;
  const dtype = attrs.dtype;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    fail("needs a shape");
  if (dtype !== "float" && dtype !== "int") fail("needs a dtype");
  return { dtype, shape: shape as number[] };
};

const reduce: Rule = ([x], attrs) => {
  const axis = axisOf(attrs, x!.shape.length);
  const shape = attrs.keepdims
    ? x!.shape.map((d, i) => (i === axis ? 1 : d))
    : x!.shape.filter((_, i) => i !== axis);
  return { dtype: x!.dtype, shape };
};

const alongAxis: Rule = ([x], attrs) => {
  if (x!.dtype !== "float") fail("expects a float operand");
  axisOf(attrs, x!.shape.length);
  return { dtype: "float", shape: x!.shape };
};

function unary(doc: string): OpDef {
  return { doc, arity: 1, infer: floatUnary, unaryElementwise: true };
}

export const OPS = {
  // Sources
  input: { doc: "a named input of the graph (attrs: name, dtype, shape)", arity: 0, infer: source },
  param: { doc: "a named parameter (attrs: name, dtype, shape)", arity: 0, infer: source },
  const: {
    doc: "a tensor filled with one value (attrs: value, dtype, shape)",
    arity: 0,
    infer: source,
  },
  iota: {
    doc: "each element's index along attrs.axis (attrs: axis, dtype, shape)",
    arity: 0,
    infer: source,
  },

  // Elementwise, one float operand
  neg: unary("-x"),
  sigmoid: unary("1 / (1 + exp(-x))"),
  tanh: unary("tanh(x)"),
  relu: unary("max(x, 0)"),
  hard_sigmoid: unary("clamp(x / 6 + 1/2, 0, 1) (PyTorch's Hardsigmoid)"),
  hard_tanh: unary("clamp(x, -1, 1)"),
  softsign: unary("x / (1 + |x|)"),
  gelu: unary("x * Φ(x), the exact (erf) form"),
  elu: unary("x if x > 0 else alpha * (exp(x) - 1) (attrs: alpha)"),
  selu: unary("scale * elu(x, alpha) with PyTorch's constants"),
  silu: unary("x * sigmoid(x)"),
  softplus: unary("log(1 + exp(x)), linear above 20 like PyTorch"),
  leaky_relu: unary("x if x > 0 else slope * x (attrs: slope)"),
  exp: unary("exp(x)"),
  log: unary("log(x)"),
  sqrt: unary("sqrt(x)"),
  abs: unary("|x|"),

  // Elementwise, two operands, broadcasting
  add: { doc: "a + b", arity: 2, infer: arithmetic },
  sub: { doc: "a - b", arity: 2, infer: arithmetic },
  mul: { doc: "a * b", arity: 2, infer: arithmetic },
  div: {
    doc: "a / b (floats)",
    arity: 2,
    infer: (inputs, attrs, body) => {
      if (inputs[0]!.dtype !== "float" || inputs[1]!.dtype !== "float")
        fail("expects float operands (use floordiv for ints)");
      return arithmetic(inputs, attrs, body);
    },
  },
  minimum: { doc: "min(a, b)", arity: 2, infer: arithmetic },
  maximum: { doc: "max(a, b)", arity: 2, infer: arithmetic },
  floordiv: { doc: "floor(a / b) (ints)", arity: 2, infer: intBinary },
  mod: { doc: "a - b * floor(a / b) (ints)", arity: 2, infer: intBinary },
  less: { doc: "1 where a < b else 0 (float mask)", arity: 2, infer: comparison },
  greater: { doc: "1 where a > b else 0 (float mask)", arity: 2, infer: comparison },
  equal: { doc: "1 where a == b else 0 (float mask)", arity: 2, infer: comparison },
  where: {
    doc: "b where cond != 0 else c; cond is a float mask",
    arity: 3,
    infer: ([cond, a, b]) => {
      if (cond!.dtype !== "float") fail("the condition must be a float mask");
      if (a!.dtype !== b!.dtype) fail(`branch types differ: ${a!.dtype} and ${b!.dtype}`);
      return {
        dtype: a!.dtype,
        shape: broadcastShapes(cond!.shape, broadcastShapes(a!.shape, b!.shape)),
      };
    },
  },
  cast: {
    doc: "convert to attrs.to (float → int truncates toward zero)",
    arity: 1,
    infer: ([x], attrs) => {
      if (attrs.to !== "float" && attrs.to !== "int") fail("needs attrs.to");
      return { dtype: attrs.to, shape: x!.shape };
    },
  },

  // Linear algebra and reductions
  matmul: {
    doc: "a @ b over the last two axes, leading axes broadcast (attrs: transposeB)",
    arity: 2,
    infer: ([a, b], attrs) => {
      if (a!.dtype !== "float" || b!.dtype !== "float") fail("expects float operands");
      if (a!.shape.length < 2 || b!.shape.length < 2) fail("operands need rank >= 2");
      const [m, k] = a!.shape.slice(-2) as [number, number];
      const bt = b!.shape.slice(-2) as [number, number];
      const [k2, n] = attrs.transposeB ? [bt[1], bt[0]] : bt;
      if (k !== k2)
        fail(`inner sizes differ: [${a!.shape}] @ [${b!.shape}]${attrs.transposeB ? "^T" : ""}`);
      return {
        dtype: "float",
        shape: [...broadcastShapes(a!.shape.slice(0, -2), b!.shape.slice(0, -2)), m, n],
      };
    },
  },
  sum: { doc: "sum over attrs.axis (attrs: keepdims)", arity: 1, infer: reduce },
  mean: { doc: "mean over attrs.axis (attrs: keepdims)", arity: 1, infer: reduce },
  max: { doc: "maximum over attrs.axis (attrs: keepdims)", arity: 1, infer: reduce },
  argmax: {
    doc: "index of the maximum over attrs.axis (first on ties)",
    arity: 1,
    infer: (inputs, attrs) => ({ ...reduce(inputs, attrs, undefined), dtype: "int" }),
  },
  topk: {
    doc: "indices of the k largest over the last axis, largest first (first on ties) (attrs: k)",
    arity: 1,
    infer: ([x], attrs) => {
      const k = num(attrs, "k");
      const last = x!.shape[x!.shape.length - 1] ?? 0;
      if (k < 1 || k > last) fail(`k = ${k} out of range for size ${last}`);
      return { dtype: "int", shape: [...x!.shape.slice(0, -1), k] };
    },
  },
  softmax: { doc: "softmax over attrs.axis", arity: 1, infer: alongAxis },
  log_softmax: { doc: "log of softmax over attrs.axis", arity: 1, infer: alongAxis },
  layernorm: {
    doc: "(x - mean) / sqrt(var + eps) over the last axis, biased variance (attrs: eps)",
    arity: 1,
    infer: floatUnary,
  },

  // Data movement
  concat: {
    doc: "join along attrs.axis",
    arity: undefined,
    infer: (inputs, attrs) => {
      const first = inputs[0] ?? fail("needs at least one input");
      const axis = axisOf(attrs, first.shape.length);
      let total = 0;
      for (const x of inputs) {
        if (x.dtype !== first.dtype || x.shape.length !== first.shape.length)
          fail("inputs differ in type or rank");
        if (x.shape.some((d, i) => i !== axis && d !== first.shape[i]))
          fail(`shapes [${x.shape}] and [${first.shape}] differ off axis ${axis}`);
        total += x.shape[axis]!;
      }
      return { dtype: first.dtype, shape: first.shape.map((d, i) => (i === axis ? total : d)) };
    },
  },
  slice: {
    doc: "x[start:end] along attrs.axis",
    arity: 1,
    infer: ([x], attrs) => {
      const axis = axisOf(attrs, x!.shape.length);
      const start = num(attrs, "start");
      const end = num(attrs, "end");
      if (start < 0 || end > x!.shape[axis]! || start >= end)
        fail(`slice ${start}:${end} out of range for size ${x!.shape[axis]}`);
      return { dtype: x!.dtype, shape: x!.shape.map((d, i) => (i === axis ? end - start : d)) };
    },
  },
  transpose: {
    doc: "swap the last two axes",
    arity: 1,
    infer: ([x]) => {
      const rank = x!.shape.length;
      if (rank < 2) fail("needs rank >= 2");
      return {
        dtype: x!.dtype,
        shape: [...x!.shape.slice(0, -2), x!.shape[rank - 1]!, x!.shape[rank - 2]!],
      };
    },
  },
  reshape: {
    doc: "same elements, new shape (attrs: shape)",
    arity: 1,
    infer: ([x], attrs) => {
      const shape = attrs.shape as readonly number[];
      if (shape.reduce((a, b) => a * b, 1) !== x!.shape.reduce((a, b) => a * b, 1))
        fail(`cannot reshape [${x!.shape}] to [${shape}]`);
      return { dtype: x!.dtype, shape };
    },
  },
  gather: {
    doc: "rows of data (axis 0) picked by int indices: result shape is indices' shape + data's rest",
    arity: 2,
    infer: ([data, indices]) => {
      if (indices!.dtype !== "int") fail("indices must be int");
      return { dtype: data!.dtype, shape: [...indices!.shape, ...data!.shape.slice(1)] };
    },
  },
  take_along: {
    doc: "NumPy take_along_axis on the last axis: out[..., j] = data[..., indices[..., j]]",
    arity: 2,
    infer: ([data, indices]) => {
      if (indices!.dtype !== "int") fail("indices must be int");
      if (
        data!.shape.length !== indices!.shape.length ||
        data!.shape.slice(0, -1).some((d, i) => d !== indices!.shape[i])
      ) {
        fail(`leading shapes differ: [${data!.shape}] and [${indices!.shape}]`);
      }
      return { dtype: data!.dtype, shape: indices!.shape };
    },
  },

  // Sampling
  sample: {
    doc: "one draw per row from softmax(logits / temperature), by a counter-based hash of (seed, step, row) (inputs: logits, step) (attrs: seed, temperature)",
    arity: 2,
    infer: ([logits, step]) => {
      if (logits!.dtype !== "float" || logits!.shape.length !== 2)
        fail("logits must be float[B, V]");
      if (step!.dtype !== "int" || step!.shape.length !== 0) fail("step must be an int scalar");
      return { dtype: "int", shape: [logits!.shape[0]!] };
    },
  },

  uniform: {
    doc: "a draw in [0, 1) per element, u = hash(seed, step, flat index) as `sample` draws it; for dropout masks and scheduled sampling (inputs: step) (attrs: seed, shape)",
    arity: 1,
    infer: ([step], attrs) => {
      if (step!.dtype !== "int" || step!.shape.length !== 0) fail("step must be an int scalar");
      return source([], { ...attrs, dtype: "float" }, undefined);
    },
  },

  // Recurrence
  scan: {
    doc: "run `body` for attrs.steps steps (attrs.reverse: last step first): inputs are the sequences sliced per step, the initial states, then the constants; the value is a tuple read by scan_output",
    arity: undefined,
    infer: () => ({ dtype: "float", shape: [] }),
  },
  scan_output: {
    doc: "result attrs.index of a scan: its final states first, then its stacked per-step outputs [B, steps, ...]",
    arity: 1,
    infer: (_, attrs) => source([], attrs, undefined),
  },
} as const satisfies Record<OpName, OpDef>;

export const OP_NAMES = Object.keys(OPS) as OpName[];

/** The elementwise functions of one float operand, in op-set order. */
export const UNARY_ELEMENTWISE_OPS: readonly OpName[] = OP_NAMES.filter(
  (op) => (OPS[op] as OpDef).unaryElementwise === true,
);

/** Infers a node's type; throws IRError when the op is misused (a compiler bug). */
export function inferType(
  op: OpName,
  inputs: readonly Operand[],
  attrs: Attrs,
  body?: Body,
): Operand {
  const def: OpDef = OPS[op];
  if (def.arity !== undefined && inputs.length !== def.arity)
    fail(`${op} takes ${def.arity} inputs, got ${inputs.length}`);
  try {
    return def.infer(inputs, attrs, body);
  } catch (e) {
    if (e instanceof IRError) throw new IRError(`${op}: ${e.message}`);
    throw e;
  }
}
