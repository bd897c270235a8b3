/**
 * Data movement on raw 32-bit words (one shader serves f32 and i32): block copies for concat
 * and slice, row gathers, take_along, iota, and the sampling ops' counter-based draws.
 *
 * Indices outside their range (the reference throws IndexOutOfRangeError) read as 0 here: a
 * kernel cannot throw, and the compiler only emits in-range indices.
 */
import { MAX_RANK } from "./broadcast.ts";
import { read, renderKernel, UniformLayout, write } from "./kernel.ts";
import { EXP, IS_NAN, SAMPLE_UNIFORM } from "./math.ts";

export const COPY_UNIFORMS = new UniformLayout({
  count: "u32",
  chunk: "u32",
  inStride: "u32",
  inOffset: "u32",
  outStride: "u32",
  outOffset: "u32",
});

/** outer blocks of `chunk` words: y[o * outStride + outOffset + c] = x[o * inStride + inOffset + c]. */
export const copyU32 = renderKernel({
  name: "copy_u32",
  uniforms: COPY_UNIFORMS,
  buffers: [read("x", "u32"), write("y", "u32")],
  entry: "linear",
  body: [
    "let o = i / u_chunk();",
    "let c = i % u_chunk();",
    "y[o * u_outStride() + u_outOffset() + c] = x[o * u_inStride() + u_inOffset() + c];",
  ],
});

export const STRIDED_UNIFORMS = new UniformLayout({
  count: "u32",
  rank: "u32",
  dims: ["u32", MAX_RANK],
  sx: ["u32", MAX_RANK],
});

/** y[i] = x at the strided position of result element i (transpose: permuted strides). */
export const stridedU32 = renderKernel({
  name: "strided_u32",
  uniforms: STRIDED_UNIFORMS,
  buffers: [read("x", "u32"), write("y", "u32")],
  entry: "linear",
  body: [
    "var rest = i;",
    "var at = 0u;",
    "for (var a = u_rank(); a > 0u; a--) {",
    "  let d = u_dims(a - 1u);",
    "  at += (rest % d) * u_sx(a - 1u);",
    "  rest /= d;",
    "}",
    "y[i] = x[at];",
  ],
});

export const GATHER_UNIFORMS = new UniformLayout({ count: "u32", width: "u32", rows: "u32" });

/** Rows of a table (axis 0) picked by int indices. */
export const gatherU32 = renderKernel({
  name: "gather_u32",
  uniforms: GATHER_UNIFORMS,
  buffers: [read("table", "u32"), read("indices", "i32"), write("y", "u32")],
  entry: "linear",
  body: [
    "let width = u_width();",
    "let index = indices[i / width];",
    "if (index < 0 || u32(index) >= u_rows()) { y[i] = 0u; return; }",
    "y[i] = table[u32(index) * width + i % width];",
  ],
});

export const TAKE_UNIFORMS = new UniformLayout({ count: "u32", n: "u32", m: "u32" });

/** out[r, j] = x[r, indices[r, j]] over the last axis (x's is n long, indices' m). */
export const takeAlongU32 = renderKernel({
  name: "take_along_u32",
  uniforms: TAKE_UNIFORMS,
  buffers: [read("x", "u32"), read("indices", "i32"), write("y", "u32")],
  entry: "linear",
  body: [
    "let index = indices[i];",
    "if (index < 0 || u32(index) >= u_n()) { y[i] = 0u; return; }",
    "y[i] = x[(i / u_m()) * u_n() + u32(index)];",
  ],
});

export const IOTA_UNIFORMS = new UniformLayout({
  count: "u32",
  n: "u32",
  inner: "u32",
  float: "u32",
});

export const iotaU32 = renderKernel({
  name: "iota_u32",
  uniforms: IOTA_UNIFORMS,
  buffers: [write("y", "u32")],
  entry: "linear",
  body: [
    "let v = (i / u_inner()) % u_n();",
    "y[i] = select(v, bitcast<u32>(f32(v)), u_float() != 0u);",
  ],
});

export const UNIFORM_UNIFORMS = new UniformLayout({ count: "u32", seed: "u32" });

/** A draw in [0, 1) per element: the reference's sampleUniform(seed, step, flat index). */
export const uniformF32 = renderKernel({
  name: "uniform_f32",
  uniforms: UNIFORM_UNIFORMS,
  buffers: [read("step", "i32"), write("y", "f32")],
  helpers: [SAMPLE_UNIFORM],
  entry: "linear",
  body: ["y[i] = rn_sample_uniform(u_seed(), step[0], i);"],
});

export const SAMPLE_UNIFORMS = new UniformLayout({
  count: "u32",
  v: "u32",
  seed: "u32",
  temperature: "f32",
});

/**
 * One draw per row from softmax(logits / temperature): the first index whose running f32 sum
 * of probabilities exceeds u = sampleUniform(seed, step, row); when rounding leaves the total
 * at or below u, the last index with a nonzero probability.
 */
export const sampleF32 = renderKernel({
  name: "sample_f32",
  uniforms: SAMPLE_UNIFORMS,
  buffers: [read("logits", "f32"), read("step", "i32"), write("y", "i32")],
  helpers: [IS_NAN, EXP, SAMPLE_UNIFORM],
  entry: "linear",
  body: [
    "let v = u_v();",
    "let t = u_temperature();",
    "let base = i * v;",
    "var mx = logits[base] / t;",
    "for (var j = 1u; j < v; j++) {",
    "  let s = logits[base + j] / t;",
    "  if (s > mx || rn_is_nan(s)) { mx = s; }",
    "}",
    "var sum = 0.0;",
    "for (var j = 0u; j < v; j++) { sum = sum + rn_exp(logits[base + j] / t - mx); }",
    "let inv = 1.0 / sum;",
    "let u = rn_sample_uniform(u_seed(), step[0], i);",
    "var choice = -1;",
    "var lastNonzero = -1;",
    "var cumulative = 0.0;",
    "for (var j = 0u; j < v; j++) {",
    "  let p = rn_exp(logits[base + j] / t - mx) * inv;",
    "  if (p > 0.0) { lastNonzero = i32(j); }",
    "  cumulative = cumulative + p;",
    "  if (cumulative > u) { choice = i32(j); break; }",
    "}",
    "if (choice < 0) { choice = max(lastNonzero, 0); }",
    "y[i] = choice;",
  ],
});
