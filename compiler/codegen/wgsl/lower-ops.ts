/**
 * How each IR op becomes dispatches of the naive schedule: its kernel family, the uniforms
 * (sizes, strides, op code, attributes) and the workgroup grid. A table keyed by every
 * OpName, so a new op fails type checking here until it has a lowering.
 */
import type { Node } from "../../ir/node.ts";
import type { OpName } from "../../ir/ops.ts";
import { elementCount } from "../../../runtime/webgpu/plan.ts";
import { broadcastLayout } from "./broadcast.ts";
import {
  CAST_MODES,
  CAST_UNIFORMS,
  castU32,
  compareI32,
  FLOAT_BINARY_OPS,
  INT_BINARY_OPS,
  INT_COMPARE_OPS,
  MAP_UNIFORMS,
  mapF32,
  opCode,
  SELECT_UNIFORMS,
  selectU32,
  UNARY_OPS,
  ZIP_UNIFORMS,
  zipF32,
  zipI32,
} from "./elementwise.ts";
import { grid, linearGrid, TILE } from "./kernel.ts";
import { MATMUL_UNIFORMS, MAX_BATCH_RANK, matmulF32 } from "./matmul.ts";
import {
  COPY_UNIFORMS,
  copyU32,
  GATHER_UNIFORMS,
  gatherU32,
  IOTA_UNIFORMS,
  iotaU32,
  SAMPLE_UNIFORMS,
  sampleF32,
  STRIDED_UNIFORMS,
  stridedU32,
  TAKE_UNIFORMS,
  takeAlongU32,
  UNIFORM_UNIFORMS,
  uniformF32,
} from "./movement.ts";
import {
  argmaxF32,
  argmaxI32,
  AXIS_UNIFORMS,
  LAYERNORM_UNIFORMS,
  layernormF32,
  REDUCE_OPS,
  reduceF32,
  reduceI32,
  SOFTMAX_OPS,
  softmaxF32,
  TOPK_UNIFORMS,
  topkF32,
  topkI32,
} from "./reduce.ts";
import { around, DTYPES, fillBitsOf, num, PlanGraphError, type Planner } from "./planner.ts";

type Lowering = (node: Node, p: Planner) => void;

function unary(node: Node, p: Planner): void {
  const count = elementCount(node.shape);
  const alpha =
    node.op === "elu" ? num(node, "alpha") : node.op === "leaky_relu" ? num(node, "slope") : 0;
  const uniforms = MAP_UNIFORMS.pack({ count, op: opCode(UNARY_OPS, node.op), alpha });
  p.emit(node, mapF32, node.inputs, uniforms, linearGrid(count));
}

function binary(node: Node, p: Planner): void {
  const [a, b] = node.inputs as [Node, Node];
  const count = elementCount(node.shape);
  const { dims, strides } = broadcastLayout(node.shape, [a.shape, b.shape]);
  const [shader, table] =
    a.dtype === "float"
      ? [zipF32, FLOAT_BINARY_OPS]
      : node.dtype === "float"
        ? [compareI32, INT_COMPARE_OPS]
        : [zipI32, INT_BINARY_OPS];
  const uniforms = ZIP_UNIFORMS.pack({
    count,
    op: opCode(table, node.op),
    rank: dims.length,
    dims,
    sa: strides[0]!,
    sb: strides[1]!,
  });
  p.emit(node, shader, node.inputs, uniforms, linearGrid(count));
}

function where(node: Node, p: Planner): void {
  const [c, a, b] = node.inputs as [Node, Node, Node];
  const count = elementCount(node.shape);
  const { dims, strides } = broadcastLayout(node.shape, [c.shape, a.shape, b.shape]);
  const uniforms = SELECT_UNIFORMS.pack({
    count,
    rank: dims.length,
    dims,
    sc: strides[0]!,
    sa: strides[1]!,
    sb: strides[2]!,
  });
  p.emit(node, selectU32, node.inputs, uniforms, linearGrid(count));
}

function cast(node: Node, p: Planner): void {
  const x = node.inputs[0]!;
  if (x.dtype === node.dtype) return p.alias(node, x);
  const count = elementCount(node.shape);
  const mode = x.dtype === "float" ? CAST_MODES.floatToInt : CAST_MODES.intToFloat;
  p.emit(node, castU32, [x], CAST_UNIFORMS.pack({ count, mode }), linearGrid(count));
}

function matmul(node: Node, p: Planner): void {
  const [a, b] = node.inputs as [Node, Node];
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = node.shape[node.shape.length - 1]!;
  const batchShape = node.shape.slice(0, -2);
  const batch = broadcastLayout(
    batchShape,
    [a.shape.slice(0, -2), b.shape.slice(0, -2)],
    MAX_BATCH_RANK,
  );
  const batches = elementCount(batchShape);
  const tilesN = Math.ceil(n / TILE);
  const tilesM = Math.ceil(m / TILE);
  const uniforms = MATMUL_UNIFORMS.pack({
    m,
    n,
    k,
    transposeB: node.attrs.transposeB === true ? 1 : 0,
    batches,
    tilesN,
    tilesM,
    rank: batch.dims.length,
    dims: batch.dims,
    sa: batch.strides[0]!,
    sb: batch.strides[1]!,
  });
  p.emit(node, matmulF32, node.inputs, uniforms, grid(tilesN * tilesM * batches));
}

function reduction(node: Node, p: Planner): void {
  const x = node.inputs[0]!;
  const { outer, n, inner } = around(x.shape, num(node, "axis"));
  const count = outer * inner;
  const op = node.op as "sum" | "mean" | "max" | "argmax";
  const shader =
    op === "argmax"
      ? x.dtype === "float"
        ? argmaxF32
        : argmaxI32
      : x.dtype === "float"
        ? reduceF32
        : reduceI32;
  const code = op === "argmax" ? 0 : REDUCE_OPS[op];
  p.emit(node, shader, [x], AXIS_UNIFORMS.pack({ count, n, inner, op: code }), linearGrid(count));
}

function softmax(node: Node, p: Planner): void {
  const x = node.inputs[0]!;
  const { outer, n, inner } = around(x.shape, num(node, "axis"));
  const count = outer * inner;
  const op = SOFTMAX_OPS[node.op as "softmax" | "log_softmax"];
  p.emit(node, softmaxF32, [x], AXIS_UNIFORMS.pack({ count, n, inner, op }), linearGrid(count));
}

function layernorm(node: Node, p: Planner): void {
  const x = node.inputs[0]!;
  const n = x.shape[x.shape.length - 1] ?? 1;
  const count = n === 0 ? 0 : elementCount(x.shape) / n;
  const uniforms = LAYERNORM_UNIFORMS.pack({ count, n, eps: num(node, "eps") });
  p.emit(node, layernormF32, [x], uniforms, linearGrid(count));
}

function topk(node: Node, p: Planner): void {
  const x = node.inputs[0]!;
  const n = x.shape[x.shape.length - 1]!;
  const count = elementCount(x.shape.slice(0, -1));
  const uniforms = TOPK_UNIFORMS.pack({ count, n, k: num(node, "k") });
  p.emit(node, x.dtype === "float" ? topkF32 : topkI32, [x], uniforms, linearGrid(count));
}

/** One block copy per input into its offset along the axis: no limit on the input count. */
function concat(node: Node, p: Planner): void {
  const { outer, n: total, inner } = around(node.shape, num(node, "axis"));
  const out = p.allocate(node, "temp");
  let at = 0;
  for (const x of node.inputs) {
    const chunk = x.shape[num(node, "axis")]! * inner;
    const count = outer * chunk;
    const uniforms = COPY_UNIFORMS.pack({
      count,
      chunk,
      inStride: chunk,
      inOffset: 0,
      outStride: total * inner,
      outOffset: at,
    });
    p.dispatch(node, copyU32, [p.buffer(x), out], uniforms, linearGrid(count));
    at += chunk;
  }
}

function slice(node: Node, p: Planner): void {
  const x = node.inputs[0]!;
  const { outer, n, inner } = around(x.shape, num(node, "axis"));
  const start = num(node, "start");
  const chunk = (num(node, "end") - start) * inner;
  const count = outer * chunk;
  const uniforms = COPY_UNIFORMS.pack({
    count,
    chunk,
    inStride: n * inner,
    inOffset: start * inner,
    outStride: chunk,
    outOffset: 0,
  });
  p.emit(node, copyU32, [x], uniforms, linearGrid(count));
}

/** Swaps the last two axes: the result walks the operand with those axes' strides swapped. */
function transpose(node: Node, p: Planner): void {
  const x = node.inputs[0]!;
  const [m, n] = x.shape.slice(-2) as [number, number];
  const batch = elementCount(x.shape.slice(0, -2));
  // Element (b, j, i) of the [batch, n, m] result reads x at b * m * n + i * n + j.
  const dims = batch > 1 ? [batch, n, m] : [n, m];
  const sx = batch > 1 ? [m * n, 1, n] : [1, n];
  const count = elementCount(node.shape);
  const uniforms = STRIDED_UNIFORMS.pack({ count, rank: dims.length, dims, sx });
  p.emit(node, stridedU32, [x], uniforms, linearGrid(count));
}

function gather(node: Node, p: Planner): void {
  const table = node.inputs[0]!;
  const count = elementCount(node.shape);
  const width = elementCount(table.shape.slice(1));
  const uniforms = GATHER_UNIFORMS.pack({ count, width, rows: table.shape[0]! });
  p.emit(node, gatherU32, node.inputs, uniforms, linearGrid(count));
}

function takeAlong(node: Node, p: Planner): void {
  const [x, indices] = node.inputs as [Node, Node];
  const count = elementCount(node.shape);
  const uniforms = TAKE_UNIFORMS.pack({
    count,
    n: x.shape[x.shape.length - 1]!,
    m: indices.shape[indices.shape.length - 1]!,
  });
  p.emit(node, takeAlongU32, node.inputs, uniforms, linearGrid(count));
}

function iota(node: Node, p: Planner): void {
  const { n, inner } = around(node.shape, num(node, "axis"));
  const count = elementCount(node.shape);
  const uniforms = IOTA_UNIFORMS.pack({ count, n, inner, float: node.dtype === "float" ? 1 : 0 });
  p.emit(node, iotaU32, [], uniforms, linearGrid(count));
}

function seedOf(node: Node): number {
  const seed = num(node, "seed");
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new PlanGraphError(`%${node.id} ${node.op}: seed must be a u32, got ${seed}`);
  return seed;
}

function uniform(node: Node, p: Planner): void {
  const count = elementCount(node.shape);
  const uniforms = UNIFORM_UNIFORMS.pack({ count, seed: seedOf(node) });
  p.emit(node, uniformF32, node.inputs, uniforms, linearGrid(count));
}

function sample(node: Node, p: Planner): void {
  const [rows, v] = node.inputs[0]!.shape as [number, number];
  const uniforms = SAMPLE_UNIFORMS.pack({
    count: rows,
    v,
    seed: seedOf(node),
    temperature: num(node, "temperature"),
  });
  p.emit(node, sampleF32, node.inputs, uniforms, linearGrid(rows));
}

function sourceFor(role: "input" | "param"): Lowering {
  return (node, p) => {
    p.allocate(node, role, { name: String(node.attrs.name) });
  };
}

export function noScan(node: Node): never {
  throw new PlanGraphError(
    `%${node.id} ${node.op}: the naive WebGPU schedule needs an unrolled graph (run the 'unroll' pass first)`,
  );
}

export const LOWERINGS: Record<OpName, Lowering> = {
  input: sourceFor("input"),
  param: sourceFor("param"),
  const: (node, p) => {
    p.allocate(node, "constant", { fillBits: fillBitsOf(num(node, "value"), DTYPES[node.dtype]) });
  },
  iota,
  neg: unary,
  sigmoid: unary,
  tanh: unary,
  relu: unary,
  hard_sigmoid: unary,
  hard_tanh: unary,
  softsign: unary,
  gelu: unary,
  elu: unary,
  selu: unary,
  silu: unary,
  softplus: unary,
  leaky_relu: unary,
  exp: unary,
  log: unary,
  sqrt: unary,
  abs: unary,
  add: binary,
  sub: binary,
  mul: binary,
  div: binary,
  minimum: binary,
  maximum: binary,
  floordiv: binary,
  mod: binary,
  less: binary,
  greater: binary,
  equal: binary,
  where,
  cast,
  matmul,
  sum: reduction,
  mean: reduction,
  max: reduction,
  argmax: reduction,
  topk,
  softmax,
  log_softmax: softmax,
  layernorm,
  concat,
  slice,
  transpose,
  reshape: (node, p) => p.alias(node, node.inputs[0]!),
  gather,
  take_along: takeAlong,
  sample,
  uniform,
  scan: noScan,
  scan_output: noScan,
};
