/**
 * Kernels over one axis, seen as outer x n x inner (element (o, j, l) at (o * n + j) * inner
 * + l): one invocation per (o, l) lane walks j in increasing order, as the reference does, so
 * f32 sums round in the reference's order and ties go to the first index. topk and
 * layernorm work on the last axis (inner = 1), one invocation per row.
 */
import { read, renderKernel, UniformLayout, write, type WgslFn } from "./kernel.ts";
import { EXP, GREATER_NAN, IS_NAN, LOG } from "./math.ts";

type Num = "f32" | "i32";

/** a > b in PyTorch's max/argmax/topk order, per dtype. */
function greater(dtype: Num, a: string, b: string): string {
  return dtype === "f32" ? `rn_greater(${a}, ${b})` : `(${a} > ${b})`;
}

function orderHelpers(dtype: Num): WgslFn[] {
  return dtype === "f32" ? [GREATER_NAN] : [];
}

export const AXIS_UNIFORMS = new UniformLayout({
  count: "u32",
  n: "u32",
  inner: "u32",
  op: "u32",
});

export const REDUCE_OPS = { sum: 0, mean: 1, max: 2 } as const;

/** Lines that set `base`, `n` and `inner` for lane i of an outer x n x inner layout. */
const AXIS_LANE = [
  "let n = u_n();",
  "let inner = u_inner();",
  "let base = (i / inner) * n * inner + i % inner;",
];

function reduce(dtype: Num) {
  const zero = dtype === "f32" ? "0.0" : "0";
  return renderKernel({
    name: `reduce_${dtype}`,
    uniforms: AXIS_UNIFORMS,
    buffers: [read("x", dtype), write("y", dtype)],
    helpers: orderHelpers(dtype),
    entry: "linear",
    body: [
      ...AXIS_LANE,
      `if (u_op() == ${REDUCE_OPS.max}u) {`,
      "  var r = x[base];",
      "  for (var j = 1u; j < n; j++) {",
      "    let v = x[base + j * inner];",
      `    if (${greater(dtype, "v", "r")}) { r = v; }`,
      "  }",
      "  y[i] = r;",
      "  return;",
      "}",
      `var acc = ${zero};`,
      "for (var j = 0u; j < n; j++) { acc = acc + x[base + j * inner]; }",
      ...(dtype === "f32" ? [`if (u_op() == ${REDUCE_OPS.mean}u) { acc = acc / f32(n); }`] : []),
      "y[i] = acc;",
    ],
  });
}

export const reduceF32 = reduce("f32");
export const reduceI32 = reduce("i32");

function argmax(dtype: Num) {
  return renderKernel({
    name: `argmax_${dtype}`,
    uniforms: AXIS_UNIFORMS,
    buffers: [read("x", dtype), write("y", "i32")],
    helpers: orderHelpers(dtype),
    entry: "linear",
    body: [
      ...AXIS_LANE,
      "var r = 0u;",
      "for (var j = 1u; j < n; j++) {",
      `  if (${greater(dtype, "x[base + j * inner]", "x[base + r * inner]")}) { r = j; }`,
      "}",
      "y[i] = i32(r);",
    ],
  });
}

export const argmaxF32 = argmax("f32");
export const argmaxI32 = argmax("i32");

export const TOPK_UNIFORMS = new UniformLayout({ count: "u32", n: "u32", k: "u32" });

/**
 * The k largest of a row by k selections: each pick is the first (in value-then-index order)
 * of the elements that come after the previous pick, so ties keep index order.
 */
function topk(dtype: Num) {
  const before: WgslFn = {
    name: "rn_before",
    uses: orderHelpers(dtype),
    code: [
      `fn rn_before(va: ${dtype}, ia: u32, vb: ${dtype}, ib: u32) -> bool {`,
      `  return ${greater(dtype, "va", "vb")} || (!${greater(dtype, "vb", "va")} && ia < ib);`,
      "}",
    ].join("\n"),
  };
  return renderKernel({
    name: `topk_${dtype}`,
    uniforms: TOPK_UNIFORMS,
    buffers: [read("x", dtype), write("y", "i32")],
    helpers: [before],
    entry: "linear",
    body: [
      "let n = u_n();",
      "let k = u_k();",
      "let base = i * n;",
      "var prev = 0u;",
      "for (var t = 0u; t < k; t++) {",
      "  var best = n;",
      "  for (var j = 0u; j < n; j++) {",
      "    let v = x[base + j];",
      "    if (t > 0u && !rn_before(x[base + prev], prev, v, j)) { continue; }",
      "    if (best == n || rn_before(v, j, x[base + best], best)) { best = j; }",
      "  }",
      "  y[i * k + t] = i32(best);",
      "  prev = best;",
      "}",
    ],
  });
}

export const topkF32 = topk("f32");
export const topkI32 = topk("i32");

export const SOFTMAX_OPS = { softmax: 0, log_softmax: 1 } as const;

/** softmax / log_softmax with the maximum subtracted first (NaN wins the maximum). */
export const softmaxF32 = renderKernel({
  name: "softmax_f32",
  uniforms: AXIS_UNIFORMS,
  buffers: [read("x", "f32"), write("y", "f32")],
  helpers: [IS_NAN, EXP, LOG],
  entry: "linear",
  body: [
    ...AXIS_LANE,
    "var mx = x[base];",
    "for (var j = 1u; j < n; j++) {",
    "  let v = x[base + j * inner];",
    "  if (v > mx || rn_is_nan(v)) { mx = v; }",
    "  if (rn_is_nan(mx)) { break; }",
    "}",
    "var sum = 0.0;",
    "for (var j = 0u; j < n; j++) { sum = sum + rn_exp(x[base + j * inner] - mx); }",
    `if (u_op() == ${SOFTMAX_OPS.log_softmax}u) {`,
    "  let logSum = rn_log(sum);",
    "  for (var j = 0u; j < n; j++) {",
    "    let at = base + j * inner;",
    "    y[at] = x[at] - mx - logSum;",
    "  }",
    "} else {",
    "  let inv = 1.0 / sum;",
    "  for (var j = 0u; j < n; j++) {",
    "    let at = base + j * inner;",
    "    y[at] = rn_exp(x[at] - mx) * inv;",
    "  }",
    "}",
  ],
});

export const LAYERNORM_UNIFORMS = new UniformLayout({ count: "u32", n: "u32", eps: "f32" });

/**
 * (x - mean) / sqrt(biased variance + eps) over each row. The reference accumulates in
 * float64; here the corrected two-pass form keeps f32 close to it: the second pass also sums
 * the deviations from the first-pass mean, which corrects both the mean and the variance.
 */
export const layernormF32 = renderKernel({
  name: "layernorm_f32",
  uniforms: LAYERNORM_UNIFORMS,
  buffers: [read("x", "f32"), write("y", "f32")],
  entry: "linear",
  body: [
    "let n = u_n();",
    "let base = i * n;",
    "var sum = 0.0;",
    "for (var j = 0u; j < n; j++) { sum = sum + x[base + j]; }",
    "let mean = sum / f32(n);",
    "var dsum = 0.0;",
    "var sq = 0.0;",
    "for (var j = 0u; j < n; j++) {",
    "  let d = x[base + j] - mean;",
    "  dsum = dsum + d;",
    "  sq = sq + d * d;",
    "}",
    "let shift = dsum / f32(n);",
    "let denom = sqrt(max(sq - dsum * shift, 0.0) / f32(n) + u_eps());",
    "for (var j = 0u; j < n; j++) { y[base + j] = (x[base + j] - mean - shift) / denom; }",
  ],
});
