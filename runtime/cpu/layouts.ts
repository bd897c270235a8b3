/**
 * The contract between the plan's kernel families and the CPU kernels: where each family's
 * uniform fields lie in the dispatch's words, the order of its op-code tables, and how many
 * storage buffers it binds. The compiler's UniformLayout objects (compiler/codegen/wgsl/) are
 * the source of truth; runtime/ may not import them, so this is a copy, and a test
 * (test/runtime/cpu/layouts.test.ts) checks that the two agree field by field.
 */

import { UNARY_ELEMENTWISE_NAMES } from "../ir/op-names.ts";

/** Word offsets of every field (arrays: their first word). */
export const LAYOUTS = {
  map: { count: 0, op: 1, alpha: 2 },
  zip: { count: 0, op: 1, rank: 2, dims: 3, sa: 11, sb: 19 },
  select: { count: 0, rank: 1, dims: 2, sc: 10, sa: 18, sb: 26 },
  cast: { count: 0, mode: 1 },
  matmul: {
    m: 0,
    n: 1,
    k: 2,
    transposeB: 3,
    batches: 4,
    tilesN: 5,
    tilesM: 6,
    rank: 7,
    dims: 8,
    sa: 12,
    sb: 16,
  },
  axis: { count: 0, n: 1, inner: 2, op: 3 },
  topk: { count: 0, n: 1, k: 2 },
  layernorm: { count: 0, n: 1, eps: 2 },
  copy: { count: 0, chunk: 1, inStride: 2, inOffset: 3, outStride: 4, outOffset: 5 },
  strided: { count: 0, rank: 1, dims: 2, sx: 10 },
  gather: { count: 0, width: 1, rows: 2 },
  take: { count: 0, n: 1, m: 2 },
  iota: { count: 0, n: 1, inner: 2, float: 3 },
  uniform: { count: 0, seed: 1 },
  sample: { count: 0, v: 1, seed: 2, temperature: 3 },
} as const;

/** The broadcast kernels' most axes (compiler/codegen/wgsl/broadcast.ts MAX_RANK). */
export const MAX_RANK = 8;
/** The matmul's most batch axes (compiler/codegen/wgsl/matmul.ts MAX_BATCH_RANK). */
export const MAX_BATCH_RANK = 4;

/** Op codes are positions in these lists (elementwise.ts, reduce.ts). */
export const UNARY_OPS = UNARY_ELEMENTWISE_NAMES;

export const FLOAT_BINARY_OPS = [
  "add",
  "sub",
  "mul",
  "div",
  "minimum",
  "maximum",
  "less",
  "greater",
  "equal",
] as const;

export const INT_BINARY_OPS = [
  "add",
  "sub",
  "mul",
  "minimum",
  "maximum",
  "floordiv",
  "mod",
] as const;

export const INT_COMPARE_OPS = ["less", "greater", "equal"] as const;

export const REDUCE_OPS = { sum: 0, mean: 1, max: 2 } as const;
export const SOFTMAX_OPS = { softmax: 0, log_softmax: 1 } as const;
export const CAST_MODES = { floatToInt: 0, intToFloat: 1 } as const;

/** Storage bindings per family (the uniform block, binding 0, not counted). */
export const BINDINGS: Readonly<Record<string, number>> = {
  map_f32: 2,
  zip_f32: 3,
  zip_i32: 3,
  compare_i32: 3,
  select_u32: 4,
  cast_u32: 2,
  matmul_f32: 3,
  reduce_f32: 2,
  reduce_i32: 2,
  argmax_f32: 2,
  argmax_i32: 2,
  topk_f32: 2,
  topk_i32: 2,
  softmax_f32: 2,
  layernorm_f32: 2,
  copy_u32: 2,
  strided_u32: 2,
  gather_u32: 3,
  take_along_u32: 3,
  iota_u32: 1,
  uniform_f32: 2,
  sample_f32: 3,
};
