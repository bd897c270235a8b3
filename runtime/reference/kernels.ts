/**
 * One kernel per IR op: the reference meaning of every op in compiler/ir/ops.ts. Each kernel
 * is written for clarity, not speed, and follows PyTorch's CPU formulas where PyTorch has the
 * op, so that in float64 the results equal PyTorch's up to the last bits its vectorised
 * libm and blocked BLAS/reductions allow.
 *
 * Precision. In "float64" every float tensor is a Float64Array. In "float32" every float
 * tensor is a Float32Array, so each op's result is rounded to f32 once, as a float32 backend
 * would store it; an op's internal steps stay in float64 (exact or nearly so for the short
 * formulas here), EXCEPT the long accumulations — matmul's dot products and the sum/mean
 * reductions — which round their running sum to f32 after every term (Math.fround), with
 * each product rounded to f32 before it is added (no fused multiply-add), to model an f32
 * accumulator. The sample op's probabilities and running cumulative sum are likewise f32.
 *
 * Integers are int32: add/sub/mul wrap mod 2^32; floordiv/mod floor; division by zero throws.
 */
import { broadcastShapes, type Body, type DType, type Node, type OpName } from "../ir/node.ts";
import { ACTIVATION_NAMES, activation, type ActivationName } from "./activations.ts";
import { sampleUniform } from "./rng.ts";
import {
  allocData,
  IndexOutOfRangeError,
  InterpreterError,
  sameShape,
  sizeOf,
  strides,
  typeText,
  type Precision,
  type Tensor,
  type TensorData,
} from "./tensor.ts";

/** What a node evaluates to: a tensor, or (for `scan`) a tuple of tensors. */
export type Value = Tensor | readonly Tensor[];

export interface KernelContext {
  readonly precision: Precision;
  /** The caller's tensor for an `input` or `param` node, checked and in this precision. */
  source(node: Node): Tensor;
  /** Runs a scan body once with its formals bound: nextStates' values, then outputs'. */
  runBody(body: Body, bindings: ReadonlyMap<Node, Tensor>): Tensor[];
}

export type Kernel = (node: Node, args: readonly Value[], ctx: KernelContext) => Value;

// ---------------------------------------------------------------------------------------------
// Helpers

function fail(message: string): never {
  throw new InterpreterError(message);
}

function arg(node: Node, args: readonly Value[], i: number): Tensor {
  const v = args[i];
  if (v === undefined) fail(`${node.op}: missing operand ${i}`);
  if (Array.isArray(v)) fail(`${node.op}: operand ${i} is a scan tuple, not a tensor`);
  return v as Tensor;
}

function numAttr(node: Node, key: string): number {
  const v = node.attrs[key];
  if (typeof v !== "number" || Number.isNaN(v))
    fail(`${node.op}: attribute '${key}' must be a number`);
  return v;
}

function intAttr(node: Node, key: string, min = 0): number {
  const v = numAttr(node, key);
  if (!Number.isInteger(v) || v < min)
    fail(`${node.op}: attribute '${key}' must be an integer >= ${min}, got ${v}`);
  return v;
}

function axisAttr(node: Node, rank: number): number {
  const axis = numAttr(node, "axis");
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    fail(`${node.op}: axis ${axis} out of range for rank ${rank}`);
  }
  return axis;
}

function make(
  dtype: DType,
  shape: readonly number[],
  ctx: KernelContext,
): { t: Tensor; data: TensorData } {
  const data = allocData(dtype, sizeOf(shape), ctx.precision);
  return { t: { dtype, shape: [...shape], data }, data };
}

/** Rounds a float64 intermediate to the precision's float type (identity in float64). */
function rounder(ctx: KernelContext): (x: number) => number {
  return ctx.precision === "float32" ? Math.fround : (x) => x;
}

function requireFloat(node: Node, t: Tensor, what = "operand"): void {
  if (t.dtype !== "float")
    fail(`${node.op}: expects a float ${what}, got ${typeText(t.dtype, t.shape)}`);
}

/**
 * NumPy broadcasting as an index map: for each element (row-major) of `outShape`, the flat
 * index of the element of a tensor of shape `inShape` that it reads.
 */
export function broadcastIndex(
  inShape: readonly number[],
  outShape: readonly number[],
): Int32Array {
  const rank = outShape.length;
  const offset = rank - inShape.length;
  const inStrides = strides(inShape);
  const step = outShape.map((_, a) => {
    const j = a - offset;
    return j < 0 || inShape[j] === 1 ? 0 : inStrides[j]!;
  });
  const size = sizeOf(outShape);
  const map = new Int32Array(size);
  const idx = new Array<number>(rank).fill(0);
  let pos = 0;
  for (let n = 0; n < size; n++) {
    map[n] = pos;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      pos += step[a]!;
      if (idx[a]! < outShape[a]!) break;
      pos -= step[a]! * idx[a]!;
      idx[a] = 0;
    }
  }
  return map;
}

/** The sizes before, along and after `axis`: element (o, j, i) is at (o * n + j) * inner + i. */
function around(
  shape: readonly number[],
  axis: number,
): { outer: number; n: number; inner: number } {
  return {
    outer: sizeOf(shape.slice(0, axis)),
    n: shape[axis]!,
    inner: sizeOf(shape.slice(axis + 1)),
  };
}

function reducedShape(shape: readonly number[], axis: number, keepdims: boolean): number[] {
  return keepdims ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
}

/** True when a is "greater" than b in PyTorch's max/argmax/topk order (NaN is the largest). */
function greaterNaN(a: number, b: number): boolean {
  if (Number.isNaN(a)) return !Number.isNaN(b);
  return a > b;
}

// ---------------------------------------------------------------------------------------------
// Elementwise

function unary(f: (x: number) => number): Kernel {
  return (node, args, ctx) => {
    const x = arg(node, args, 0);
    requireFloat(node, x);
    const { t, data } = make("float", x.shape, ctx);
    const xs = x.data;
    for (let i = 0; i < data.length; i++) data[i] = f(xs[i]!);
    return t;
  };
}

/** A unary kernel whose function depends on the node's attributes. */
function unaryWith(makeF: (node: Node) => (x: number) => number): Kernel {
  return (node, args, ctx) => unary(makeF(node))(node, args, ctx);
}

/**
 * A broadcasting binary kernel. `float`/`int` compute the element for each operand dtype
 * (undefined: that dtype is not allowed); `resultType` is the result's dtype.
 */
function binary(
  float: ((a: number, b: number) => number) | undefined,
  int: ((a: number, b: number) => number) | undefined,
  resultType: "same" | "float" = "same",
): Kernel {
  return (node, args, ctx) => {
    const a = arg(node, args, 0);
    const b = arg(node, args, 1);
    if (a.dtype !== b.dtype) fail(`${node.op}: operand types differ: ${a.dtype} and ${b.dtype}`);
    const f = a.dtype === "float" ? float : int;
    if (!f) fail(`${node.op}: not defined on ${a.dtype} operands`);
    const shape = broadcastShapes(a.shape, b.shape);
    const { t, data } = make(resultType === "float" ? "float" : a.dtype, shape, ctx);
    const ad = a.data;
    const bd = b.data;
    if (sameShape(a.shape, shape) && sameShape(b.shape, shape)) {
      for (let i = 0; i < data.length; i++) data[i] = f(ad[i]!, bd[i]!);
    } else {
      const ia = broadcastIndex(a.shape, shape);
      const ib = broadcastIndex(b.shape, shape);
      for (let i = 0; i < data.length; i++) data[i] = f(ad[ia[i]!]!, bd[ib[i]!]!);
    }
    return t;
  };
}

/** PyTorch's minimum: NaN if either is NaN, else the smaller, b on ties (so min(0, -0) = -0). */
function minimum(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return a < b ? a : b;
}

/** PyTorch's maximum: NaN if either is NaN, else the larger, b on ties (so max(0, -0) = -0). */
function maximum(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return a > b ? a : b;
}

function intDivisor(b: number): number {
  if (b === 0) fail("integer division by zero");
  return b;
}

// ---------------------------------------------------------------------------------------------
// Linear algebra

const matmul: Kernel = (node, args, ctx) => {
  const a = arg(node, args, 0);
  const b = arg(node, args, 1);
  requireFloat(node, a);
  requireFloat(node, b);
  if (a.shape.length < 2 || b.shape.length < 2) fail("matmul: operands need rank >= 2");
  const transposeB = node.attrs.transposeB === true;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [k2, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== k2)
    fail(`matmul: inner sizes differ: [${a.shape}] @ [${b.shape}]${transposeB ? "^T" : ""}`);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB);
  const ia = broadcastIndex(batchA, batch);
  const ib = broadcastIndex(batchB, batch);
  const { t, data } = make("float", [...batch, m, n], ctx);
  const ad = a.data;
  const f32 = ctx.precision === "float32";
  // Each output is a dot product over k in increasing order. Without transposeB, B is first
  // copied into rows of Bᵀ so that both operands are read contiguously.
  const scratch = transposeB ? undefined : new Float64Array(n * k);
  for (let p = 0; p < ia.length; p++) {
    const aOff = ia[p]! * m * k;
    const bOff = ib[p]! * k * n;
    let bt: TensorData = b.data;
    let btOff = bOff;
    if (scratch) {
      for (let j = 0; j < n; j++) {
        for (let q = 0; q < k; q++) scratch[j * k + q] = b.data[bOff + q * n + j]!;
      }
      bt = scratch;
      btOff = 0;
    }
    const outOff = p * m * n;
    for (let i = 0; i < m; i++) {
      const row = aOff + i * k;
      for (let j = 0; j < n; j++) {
        const col = btOff + j * k;
        let acc = 0;
        if (f32) {
          // float32: an f32 accumulator, as an f32 backend has. Each product is rounded to f32,
          // then the running sum is (no fused multiply-add): not float64-then-round.
          for (let q = 0; q < k; q++)
            acc = Math.fround(acc + Math.fround(ad[row + q]! * bt[col + q]!));
        } else {
          for (let q = 0; q < k; q++) acc += ad[row + q]! * bt[col + q]!;
        }
        data[outOff + i * n + j] = acc;
      }
    }
  }
  return t;
};

// ---------------------------------------------------------------------------------------------
// Reductions and normalisations

function reduction(op: "sum" | "mean" | "max" | "argmax"): Kernel {
  return (node, args, ctx) => {
    const x = arg(node, args, 0);
    const axis = axisAttr(node, x.shape.length);
    const keepdims = node.attrs.keepdims === true;
    if (op === "mean" && x.dtype !== "float") fail("mean: expects a float operand");
    const { outer, n, inner } = around(x.shape, axis);
    if ((op === "max" || op === "argmax") && n === 0) fail(`${op}: empty axis ${axis}`);
    const dtype: DType = op === "argmax" ? "int" : x.dtype;
    const { t, data } = make(dtype, reducedShape(x.shape, axis, keepdims), ctx);
    const xd = x.data;
    const round = rounder(ctx);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (j: number) => xd[(o * n + j) * inner + i]!;
        let r: number;
        if (op === "sum" || op === "mean") {
          let acc = 0;
          if (x.dtype === "int") for (let j = 0; j < n; j++) acc = (acc + at(j)) | 0;
          else for (let j = 0; j < n; j++) acc = round(acc + at(j));
          r = op === "mean" ? acc / n : acc;
        } else if (op === "max") {
          r = at(0);
          for (let j = 1; j < n; j++) if (greaterNaN(at(j), r)) r = at(j);
        } else {
          r = 0;
          for (let j = 1; j < n; j++) if (greaterNaN(at(j), at(r))) r = j;
        }
        data[o * inner + i] = r;
      }
    }
    return t;
  };
}

/** softmax / log_softmax along attrs.axis, PyTorch's formulas (max subtracted first). */
function softmaxKernel(log: boolean): Kernel {
  return (node, args, ctx) => {
    const x = arg(node, args, 0);
    requireFloat(node, x);
    const axis = axisAttr(node, x.shape.length);
    const { outer, n, inner } = around(x.shape, axis);
    const { t, data } = make("float", x.shape, ctx);
    const xd = x.data;
    const e = new Float64Array(n);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const at = (j: number) => (o * n + j) * inner + i;
        let max = -Infinity;
        for (let j = 0; j < n; j++) {
          const v = xd[at(j)]!;
          if (v > max || Number.isNaN(v)) max = v;
          if (Number.isNaN(max)) break;
        }
        let sum = 0;
        for (let j = 0; j < n; j++) {
          e[j] = Math.exp(xd[at(j)]! - max);
          sum += e[j]!;
        }
        if (log) {
          const logSum = Math.log(sum);
          for (let j = 0; j < n; j++) data[at(j)] = xd[at(j)]! - max - logSum;
        } else {
          const inv = 1 / sum;
          for (let j = 0; j < n; j++) data[at(j)] = e[j]! * inv;
        }
      }
    }
    return t;
  };
}

const layernorm: Kernel = (node, args, ctx) => {
  const x = arg(node, args, 0);
  requireFloat(node, x);
  const eps = numAttr(node, "eps");
  if (x.shape.length === 0) fail("layernorm: needs rank >= 1");
  const n = x.shape[x.shape.length - 1]!;
  const rows = n === 0 ? 0 : x.data.length / n;
  const { t, data } = make("float", x.shape, ctx);
  const xd = x.data;
  for (let r = 0; r < rows; r++) {
    const off = r * n;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += xd[off + j]!;
    const mean = sum / n;
    let sq = 0;
    for (let j = 0; j < n; j++) {
      const d = xd[off + j]! - mean;
      sq += d * d;
    }
    const denom = Math.sqrt(sq / n + eps);
    for (let j = 0; j < n; j++) data[off + j] = (xd[off + j]! - mean) / denom;
  }
  return t;
};

/** Indices of the k largest along the last axis, largest first, first index on ties. */
const topk: Kernel = (node, args, ctx) => {
  const x = arg(node, args, 0);
  if (x.shape.length === 0) fail("topk: needs rank >= 1");
  const n = x.shape[x.shape.length - 1]!;
  const k = intAttr(node, "k", 1);
  if (k > n) fail(`topk: k = ${k} out of range for size ${n}`);
  const { t, data } = make("int", [...x.shape.slice(0, -1), k], ctx);
  const rows = sizeOf(x.shape.slice(0, -1));
  const xd = x.data;
  for (let r = 0; r < rows; r++) {
    const v = (j: number) => xd[r * n + j]!;
    const order = Array.from({ length: n }, (_, j) => j);
    order.sort((i, j) => (greaterNaN(v(i), v(j)) ? -1 : greaterNaN(v(j), v(i)) ? 1 : i - j));
    for (let j = 0; j < k; j++) data[r * k + j] = order[j]!;
  }
  return t;
};

// ---------------------------------------------------------------------------------------------
// Data movement

const concat: Kernel = (node, args, ctx) => {
  const xs = args.map((_, i) => arg(node, args, i));
  const first = xs[0] ?? fail("concat: needs at least one input");
  const axis = axisAttr(node, first.shape.length);
  let total = 0;
  for (const x of xs) {
    const offAxisSame =
      x.shape.length === first.shape.length &&
      x.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (x.dtype !== first.dtype || !offAxisSame) {
      fail(
        `concat: ${typeText(x.dtype, x.shape)} does not join ${typeText(first.dtype, first.shape)} on axis ${axis}`,
      );
    }
    total += x.shape[axis]!;
  }
  const shape = first.shape.map((d, i) => (i === axis ? total : d));
  const { t, data } = make(first.dtype, shape, ctx);
  const { outer, inner } = around(shape, axis);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const chunk = x.shape[axis]! * inner;
      for (let i = 0; i < chunk; i++) data[pos++] = x.data[o * chunk + i]!;
    }
  }
  return t;
};

const slice: Kernel = (node, args, ctx) => {
  const x = arg(node, args, 0);
  const axis = axisAttr(node, x.shape.length);
  const start = intAttr(node, "start");
  const end = intAttr(node, "end");
  if (end > x.shape[axis]! || start >= end)
    fail(`slice: ${start}:${end} out of range for size ${x.shape[axis]}`);
  const shape = x.shape.map((d, i) => (i === axis ? end - start : d));
  const { t, data } = make(x.dtype, shape, ctx);
  const { outer, n, inner } = around(x.shape, axis);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = start; j < end; j++) {
      for (let i = 0; i < inner; i++) data[pos++] = x.data[(o * n + j) * inner + i]!;
    }
  }
  return t;
};

const reshape: Kernel = (node, args) => {
  const x = arg(node, args, 0);
  const shape = node.attrs.shape;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    fail("reshape: needs attrs.shape");
  if (sizeOf(shape) !== x.data.length) fail(`reshape: cannot reshape [${x.shape}] to [${shape}]`);
  return { dtype: x.dtype, shape: [...shape], data: x.data };
};

const transpose: Kernel = (node, args, ctx) => {
  const x = arg(node, args, 0);
  const rank = x.shape.length;
  if (rank < 2) fail("transpose: needs rank >= 2");
  const [m, n] = x.shape.slice(-2) as [number, number];
  const { t, data } = make(x.dtype, node.shape, ctx);
  const batches = x.data.length / (m * n);
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) data[b * m * n + j * m + i] = x.data[b * m * n + i * n + j]!;
    }
  }
  return t;
};

const gather: Kernel = (node, args, ctx) => {
  const table = arg(node, args, 0);
  const indices = arg(node, args, 1);
  if (indices.dtype !== "int") fail("gather: indices must be int");
  if (table.shape.length === 0) fail("gather: data needs rank >= 1");
  const rows = table.shape[0]!;
  const rest = table.shape.slice(1);
  const width = sizeOf(rest);
  const { t, data } = make(table.dtype, [...indices.shape, ...rest], ctx);
  for (let r = 0; r < indices.data.length; r++) {
    const index = indices.data[r]!;
    if (index < 0 || index >= rows)
      throw new IndexOutOfRangeError(`gather: index ${index} out of range [0, ${rows})`);
    for (let i = 0; i < width; i++) data[r * width + i] = table.data[index * width + i]!;
  }
  return t;
};

const takeAlong: Kernel = (node, args, ctx) => {
  const x = arg(node, args, 0);
  const indices = arg(node, args, 1);
  if (indices.dtype !== "int") fail("take_along: indices must be int");
  const lead = x.shape.slice(0, -1);
  if (
    x.shape.length === 0 ||
    x.shape.length !== indices.shape.length ||
    !sameShape(lead, indices.shape.slice(0, -1))
  ) {
    fail(`take_along: leading shapes differ: [${x.shape}] and [${indices.shape}]`);
  }
  const n = x.shape[x.shape.length - 1]!;
  const m = indices.shape[indices.shape.length - 1]!;
  const { t, data } = make(x.dtype, indices.shape, ctx);
  const rows = sizeOf(lead);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      const index = indices.data[r * m + j]!;
      if (index < 0 || index >= n)
        throw new IndexOutOfRangeError(`take_along: index ${index} out of range [0, ${n})`);
      data[r * m + j] = x.data[r * n + index]!;
    }
  }
  return t;
};

const where: Kernel = (node, args, ctx) => {
  const cond = arg(node, args, 0);
  const a = arg(node, args, 1);
  const b = arg(node, args, 2);
  requireFloat(node, cond, "condition");
  if (a.dtype !== b.dtype) fail(`where: branch types differ: ${a.dtype} and ${b.dtype}`);
  const shape = broadcastShapes(cond.shape, broadcastShapes(a.shape, b.shape));
  const ic = broadcastIndex(cond.shape, shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const { t, data } = make(a.dtype, shape, ctx);
  for (let i = 0; i < data.length; i++) {
    data[i] = cond.data[ic[i]!] !== 0 ? a.data[ia[i]!]! : b.data[ib[i]!]!;
  }
  return t;
};

const cast: Kernel = (node, args, ctx) => {
  const x = arg(node, args, 0);
  const to = node.attrs.to;
  if (to !== "float" && to !== "int") fail("cast: needs attrs.to ('float' or 'int')");
  const { t, data } = make(to, x.shape, ctx);
  for (let i = 0; i < data.length; i++) {
    const v = x.data[i]!;
    if (to === "int" && x.dtype === "float") {
      const r = Math.trunc(v);
      if (!(r >= -2147483648 && r <= 2147483647)) fail(`cast: ${v} does not fit an int32`);
      data[i] = r;
    } else {
      data[i] = v;
    }
  }
  return t;
};

// ---------------------------------------------------------------------------------------------
// Sampling

/**
 * One draw per row from softmax(logits / temperature): u = sampleUniform(seed, step, row),
 * then the first index whose cumulative probability exceeds u. The probabilities and their
 * running sum are in the interpreter's precision. When rounding leaves the total at or below
 * u, the draw is the last index with a nonzero probability.
 */
const uniform: Kernel = (node, args, ctx) => {
  const step = arg(node, args, 0);
  if (step.dtype !== "int" || step.shape.length !== 0) fail("uniform: step must be an int scalar");
  const seed = numAttr(node, "seed");
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    fail(`uniform: seed must be a u32, got ${seed}`);
  const { t, data } = make("float", node.shape, ctx);
  for (let i = 0; i < data.length; i++) data[i] = sampleUniform(seed, step.data[0]!, i);
  return t;
};

const sample: Kernel = (node, args, ctx) => {
  const logits = arg(node, args, 0);
  const step = arg(node, args, 1);
  requireFloat(node, logits, "logits");
  if (logits.shape.length !== 2)
    fail(`sample: logits must be float[B, V], got ${typeText(logits.dtype, logits.shape)}`);
  if (step.dtype !== "int" || step.shape.length !== 0) fail("sample: step must be an int scalar");
  const seed = numAttr(node, "seed");
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    fail(`sample: seed must be a u32, got ${seed}`);
  const temperature = numAttr(node, "temperature");
  if (!(temperature > 0)) fail(`sample: temperature must be > 0, got ${temperature}`);
  const [rows, v] = logits.shape as [number, number];
  const round = rounder(ctx);
  const { t, data } = make("int", [rows], ctx);
  const scaled = new Float64Array(v);
  const e = new Float64Array(v);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < v; j++) {
      scaled[j] = round(logits.data[r * v + j]! / temperature);
      if (scaled[j]! > max || Number.isNaN(scaled[j])) max = scaled[j]!;
    }
    let sum = 0;
    for (let j = 0; j < v; j++) {
      e[j] = Math.exp(scaled[j]! - max);
      sum += e[j]!;
    }
    const inv = 1 / sum;
    const u = sampleUniform(seed, step.data[0]!, r);
    let choice = -1;
    let lastNonzero = -1;
    let cumulative = 0;
    for (let j = 0; j < v; j++) {
      const p = round(e[j]! * inv);
      if (p > 0) lastNonzero = j;
      cumulative = round(cumulative + p);
      if (cumulative > u) {
        choice = j;
        break;
      }
    }
    if (choice < 0) choice = lastNonzero;
    if (choice < 0) fail(`sample: row ${r} has no valid probabilities`);
    data[r] = choice;
  }
  return t;
};

// ---------------------------------------------------------------------------------------------
// Recurrence

/** x[:, t] of a [B, T, ...] sequence: a [B, ...] tensor. */
function timeSlice(x: Tensor, time: number, ctx: KernelContext): Tensor {
  const [b, steps] = x.shape as [number, number];
  const rest = x.shape.slice(2);
  const inner = sizeOf(rest);
  const { t, data } = make(x.dtype, [b, ...rest], ctx);
  for (let i = 0; i < b; i++) {
    const from = (i * steps + time) * inner;
    data.set(x.data.subarray(from, from + inner), i * inner);
  }
  return t;
}

const scan: Kernel = (node, args, ctx) => {
  const body = node.body ?? fail("scan: no body");
  const steps = intAttr(node, "steps");
  const nSlices = intAttr(node, "slices");
  const nStates = intAttr(node, "states");
  const nConsts = intAttr(node, "consts");
  const reverse = node.attrs.reverse === true;
  if (args.length !== nSlices + nStates + nConsts) {
    fail(
      `scan: ${args.length} inputs, expected ${nSlices} slices + ${nStates} states + ${nConsts} consts`,
    );
  }
  if (
    body.slices.length !== nSlices ||
    body.states.length !== nStates ||
    body.consts.length !== nConsts
  ) {
    fail("scan: input counts do not match the body");
  }
  if (body.nextStates.length !== nStates)
    fail("scan: the body's next states do not match its states");
  const seqs = body.slices.map((_, i) => arg(node, args, i));
  seqs.forEach((s, i) => {
    if (s.shape.length < 2 || s.shape[1] !== steps) {
      fail(
        `scan: sequence input ${i} ${typeText(s.dtype, s.shape)} does not have ${steps} steps on axis 1`,
      );
    }
  });
  let states = body.states.map((_, i) => arg(node, args, nSlices + i));
  const consts = body.consts.map((_, i) => arg(node, args, nSlices + nStates + i));
  const stacks = body.outputs.map((o) => {
    if (o.shape.length === 0) fail("scan: per-step outputs need a batch axis");
    return make(o.dtype, [o.shape[0]!, steps, ...o.shape.slice(1)], ctx);
  });
  for (let s = 0; s < steps; s++) {
    const time = reverse ? steps - 1 - s : s;
    const bindings = new Map<Node, Tensor>();
    body.slices.forEach((formal, i) => bindings.set(formal, timeSlice(seqs[i]!, time, ctx)));
    body.states.forEach((formal, i) => bindings.set(formal, states[i]!));
    body.consts.forEach((formal, i) => bindings.set(formal, consts[i]!));
    const stepData = allocData("int", 1);
    stepData[0] = time;
    bindings.set(body.step, { dtype: "int", shape: [], data: stepData });
    const results = ctx.runBody(body, bindings);
    states = results.slice(0, nStates);
    results.slice(nStates).forEach((out, i) => {
      const stack = stacks[i]!.data;
      const b = out.shape[0]!;
      const inner = b === 0 ? 0 : out.data.length / b;
      for (let j = 0; j < b; j++) {
        stack.set(out.data.subarray(j * inner, (j + 1) * inner), (j * steps + time) * inner);
      }
    });
  }
  return [...states, ...stacks.map((s) => s.t)];
};

const scanOutput: Kernel = (node, args) => {
  const tuple = args[0];
  if (!Array.isArray(tuple)) fail("scan_output: must read a scan");
  const index = intAttr(node, "index");
  const result = (tuple as readonly Tensor[])[index];
  if (!result) fail(`scan_output: index ${index} out of range for ${tuple.length} results`);
  return result;
};

// ---------------------------------------------------------------------------------------------
// Sources

const constant: Kernel = (node, _args, ctx) => {
  const value = numAttr(node, "value");
  const dtype = node.attrs.dtype;
  const shape = node.attrs.shape;
  if (dtype !== "float" && dtype !== "int") fail("const: needs attrs.dtype");
  if (!Array.isArray(shape)) fail("const: needs attrs.shape");
  if (
    dtype === "int" &&
    !(Number.isInteger(value) && value >= -2147483648 && value <= 2147483647)
  ) {
    fail(`const: ${value} is not an int32`);
  }
  const { t, data } = make(dtype, shape as number[], ctx);
  data.fill(value);
  return t;
};

/** Each element's index along attrs.axis. */
const iota: Kernel = (node, _args, ctx) => {
  const dtype = node.attrs.dtype;
  const shape = node.attrs.shape;
  if (dtype !== "float" && dtype !== "int") fail("iota: needs attrs.dtype");
  if (!Array.isArray(shape)) fail("iota: needs attrs.shape");
  const axis = axisAttr(node, shape.length);
  const { t, data } = make(dtype, shape as number[], ctx);
  const { outer, n, inner } = around(shape as number[], axis);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < inner; i++) data[(o * n + j) * inner + i] = j;
    }
  }
  return t;
};

const source: Kernel = (node, _args, ctx) => ctx.source(node);

// ---------------------------------------------------------------------------------------------
// The table

/** A kernel per activation; elu and leaky_relu read their parameter from the node. */
function activationKernels(): Record<ActivationName, Kernel> {
  const parameterOf: Partial<Record<ActivationName, string>> = {
    elu: "alpha",
    leaky_relu: "slope",
  };
  return Object.fromEntries(
    ACTIVATION_NAMES.map((name) => {
      const key = parameterOf[name];
      return [
        name,
        key
          ? unaryWith((node) => activation(name, numAttr(node, key)))
          : unary(activation(name, 0)),
      ];
    }),
  ) as Record<ActivationName, Kernel>;
}

export const KERNELS: Record<OpName, Kernel> = {
  input: source,
  param: source,
  const: constant,
  iota,

  // PyTorch's float64 formulas, shared with the CPU backend (activations.ts).
  ...activationKernels(),

  add: binary(
    (a, b) => a + b,
    (a, b) => a + b,
  ), // int: the Int32Array store wraps mod 2^32
  sub: binary(
    (a, b) => a - b,
    (a, b) => a - b,
  ),
  mul: binary((a, b) => a * b, Math.imul),
  div: binary((a, b) => a / b, undefined),
  minimum: binary(minimum, minimum),
  maximum: binary(maximum, maximum),
  floordiv: binary(undefined, (a, b) => Math.floor(a / intDivisor(b))),
  mod: binary(undefined, (a, b) => a - b * Math.floor(a / intDivisor(b))),
  less: binary(
    (a, b) => (a < b ? 1 : 0),
    (a, b) => (a < b ? 1 : 0),
    "float",
  ),
  greater: binary(
    (a, b) => (a > b ? 1 : 0),
    (a, b) => (a > b ? 1 : 0),
    "float",
  ),
  equal: binary(
    (a, b) => (a === b ? 1 : 0),
    (a, b) => (a === b ? 1 : 0),
    "float",
  ),
  where,
  cast,

  matmul,
  sum: reduction("sum"),
  mean: reduction("mean"),
  max: reduction("max"),
  argmax: reduction("argmax"),
  topk,
  softmax: softmaxKernel(false),
  log_softmax: softmaxKernel(true),
  layernorm,

  concat,
  slice,
  reshape,
  transpose,
  gather,
  take_along: takeAlong,

  sample,
  uniform,

  scan,
  scan_output: scanOutput,
};
