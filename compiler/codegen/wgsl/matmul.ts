/**
 * The naive matmul: one invocation per output element in 8x8 tiles, a dot product over k in
 * increasing order with an f32 accumulator (the reference's float32 order). Leading (batch)
 * axes broadcast through dims and per-operand matrix strides in the uniforms. Tiling in
 * workgroup memory and register blocking come later, in the fused kernels.
 */
import { read, renderKernel, UniformLayout, write } from "./kernel.ts";

export const MAX_BATCH_RANK = 4;

export const MATMUL_UNIFORMS = new UniformLayout({
  m: "u32",
  n: "u32",
  k: "u32",
  transposeB: "u32",
  /** Product of the batch dims: tiles beyond it are idle. */
  batches: "u32",
  tilesN: "u32",
  tilesM: "u32",
  rank: "u32",
  dims: ["u32", MAX_BATCH_RANK],
  /** Per batch axis, the step in whole matrices of a and of b (0 where it broadcasts). */
  sa: ["u32", MAX_BATCH_RANK],
  sb: ["u32", MAX_BATCH_RANK],
});

export const matmulF32 = renderKernel({
  name: "matmul_f32",
  uniforms: MATMUL_UNIFORMS,
  buffers: [read("xa", "f32"), read("xb", "f32"), write("y", "f32")],
  entry: "tiles",
  body: [
    "let m = u_m();",
    "let n = u_n();",
    "let k = u_k();",
    "let col = (tile % u_tilesN()) * 8u + lx;",
    "let rest = tile / u_tilesN();",
    "let row = (rest % u_tilesM()) * 8u + ly;",
    "let p = rest / u_tilesM();",
    "if (p >= u_batches() || row >= m || col >= n) { return; }",
    "var ma = 0u;",
    "var mb = 0u;",
    "var left = p;",
    "for (var a = u_rank(); a > 0u; a--) {",
    "  let d = u_dims(a - 1u);",
    "  ma += (left % d) * u_sa(a - 1u);",
    "  mb += (left % d) * u_sb(a - 1u);",
    "  left /= d;",
    "}",
    "let aRow = ma * m * k + row * k;",
    "let bBase = mb * k * n;",
    "var acc = 0.0;",
    "if (u_transposeB() != 0u) {",
    "  let bRow = bBase + col * k;",
    "  for (var q = 0u; q < k; q++) { acc = acc + xa[aRow + q] * xb[bRow + q]; }",
    "} else {",
    "  for (var q = 0u; q < k; q++) { acc = acc + xa[aRow + q] * xb[bBase + q * n + col]; }",
    "}",
    "y[p * m * n + row * n + col] = acc;",
  ],
});
