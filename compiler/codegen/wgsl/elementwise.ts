/**
 * Elementwise kernel families: one shader per (arity, dtypes), the op picked at run time by
 * an op code in the uniforms from a table of WGSL expressions, so a whole graph's unary and
 * binary ops need a handful of shaders. Binary ops and `where` broadcast through dims and
 * per-operand strides in the uniforms (broadcast.ts), never baked into the source.
 */
import { MAX_RANK } from "./broadcast.ts";
import { read, renderKernel, UniformLayout, write, type WgslFn } from "./kernel.ts";
import { EXP, EXPM1, GELU, IS_NAN, LOG, LOG1P, TANH } from "./math.ts";

// PyTorch's SELU constants; the negative side's factor is alpha * scale, as PyTorch folds it.
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_NEGATIVE = 1.6732632423543772848170429916717 * SELU_SCALE;

/** Unary float ops: a WGSL expression in `v` (the element) and `alpha` (elu alpha, slope). */
export const UNARY_OPS = {
  neg: "-v",
  sigmoid: "1.0 / (1.0 + rn_exp(-v))",
  tanh: "rn_tanh(v)",
  relu: "select(v, 0.0, v < 0.0)",
  hard_sigmoid: "select(min(max(v + 3.0, 0.0), 6.0) / 6.0, v, rn_is_nan(v))",
  hard_tanh: "select(clamp(v, -1.0, 1.0), v, rn_is_nan(v))",
  softsign: "v / (abs(v) + 1.0)",
  gelu: "rn_gelu(v)",
  elu: "select(v, rn_expm1(v) * alpha, v <= 0.0)",
  selu: `select(v * ${SELU_SCALE}, rn_expm1(v) * ${SELU_NEGATIVE}, v <= 0.0)`,
  silu: "v / (1.0 + rn_exp(-v))",
  softplus: "select(rn_log1p(rn_exp(v)), v, v > 20.0)",
  leaky_relu: "select(v * alpha, v, v > 0.0)",
  exp: "rn_exp(v)",
  log: "rn_log(v)",
  sqrt: "sqrt(v)",
  abs: "abs(v)",
} as const;

/** PyTorch's minimum/maximum: NaN if either is NaN, else the smaller/larger, b on ties. */
const NAN_EITHER = "rn_is_nan(a) || rn_is_nan(b)";
export const FLOAT_BINARY_OPS = {
  add: "a + b",
  sub: "a - b",
  mul: "a * b",
  div: "a / b",
  minimum: `select(select(b, a, a < b), a + b, ${NAN_EITHER})`,
  maximum: `select(select(b, a, a > b), a + b, ${NAN_EITHER})`,
  less: "select(0.0, 1.0, a < b)",
  greater: "select(0.0, 1.0, a > b)",
  equal: "select(0.0, 1.0, a == b)",
} as const;

/** Int ops wrap mod 2^32 like the reference; floordiv and mod floor (rn_floordiv, rn_mod). */
export const INT_BINARY_OPS = {
  add: "a + b",
  sub: "a - b",
  mul: "a * b",
  minimum: "min(a, b)",
  maximum: "max(a, b)",
  floordiv: "rn_floordiv(a, b)",
  mod: "rn_mod(a, b)",
} as const;

export const INT_COMPARE_OPS = {
  less: "select(0.0, 1.0, a < b)",
  greater: "select(0.0, 1.0, a > b)",
  equal: "select(0.0, 1.0, a == b)",
} as const;

export const FLOORDIV: WgslFn = {
  name: "rn_floordiv",
  code: `
fn rn_floordiv(a: i32, b: i32) -> i32 {
  let q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) { return q - 1; }
  return q;
}`,
};

export const MOD: WgslFn = {
  name: "rn_mod",
  code: `
fn rn_mod(a: i32, b: i32) -> i32 {
  let r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { return r + b; }
  return r;
}`,
};

/** The position of `op` in `table`: the op code a dispatch passes. */
export function opCode(table: Readonly<Record<string, string>>, op: string): number {
  const code = Object.keys(table).indexOf(op);
  if (code < 0) throw new Error(`no kernel expression for '${op}'`);
  return code;
}

/** `switch (u_op()) { case 0u: { r = ...; } ... }` over a table's expressions. */
function opSwitch(table: Readonly<Record<string, string>>, result: string): string[] {
  return [
    `switch (u_op()) {`,
    ...Object.entries(table).map(
      ([name, expr], code) => `  case ${code}u: { ${result} = ${expr}; } // ${name}`,
    ),
    "  default: {}",
    "}",
  ];
}

/** The offset of element `i` in an operand whose strides start at word `s`. */
const BROADCAST: WgslFn = {
  name: "rn_broadcast",
  code: `
fn rn_broadcast(i: u32, s: u32) -> u32 {
  var rest = i;
  var at = 0u;
  for (var a = u_rank(); a > 0u; a--) {
    let d = u_dims(a - 1u);
    at += (rest % d) * word(s + a - 1u);
    rest /= d;
  }
  return at;
}`,
};

export const MAP_UNIFORMS = new UniformLayout({ count: "u32", op: "u32", alpha: "f32" });

export const mapF32 = renderKernel({
  name: "map_f32",
  uniforms: MAP_UNIFORMS,
  buffers: [read("x", "f32"), write("y", "f32")],
  helpers: [IS_NAN, EXP, TANH, GELU, EXPM1, LOG, LOG1P],
  entry: "linear",
  body: [
    "let v = x[i];",
    "let alpha = u_alpha();",
    "var r = v;",
    ...opSwitch(UNARY_OPS, "r"),
    "y[i] = r;",
  ],
});

export const ZIP_UNIFORMS = new UniformLayout({
  count: "u32",
  op: "u32",
  rank: "u32",
  dims: ["u32", MAX_RANK],
  sa: ["u32", MAX_RANK],
  sb: ["u32", MAX_RANK],
});

function zip(
  name: string,
  operand: "f32" | "i32",
  result: "f32" | "i32",
  table: Readonly<Record<string, string>>,
  helpers: readonly WgslFn[],
) {
  return renderKernel({
    name,
    uniforms: ZIP_UNIFORMS,
    buffers: [read("xa", operand), read("xb", operand), write("y", result)],
    helpers: [BROADCAST, ...helpers],
    entry: "linear",
    body: [
      "let a = xa[rn_broadcast(i, U_SA)];",
      "let b = xb[rn_broadcast(i, U_SB)];",
      `var r: ${result};`,
      ...opSwitch(table, "r"),
      "y[i] = r;",
    ],
  });
}

export const zipF32 = zip("zip_f32", "f32", "f32", FLOAT_BINARY_OPS, [IS_NAN]);
export const zipI32 = zip("zip_i32", "i32", "i32", INT_BINARY_OPS, [FLOORDIV, MOD]);
export const compareI32 = zip("compare_i32", "i32", "f32", INT_COMPARE_OPS, []);

export const SELECT_UNIFORMS = new UniformLayout({
  count: "u32",
  rank: "u32",
  dims: ["u32", MAX_RANK],
  sc: ["u32", MAX_RANK],
  sa: ["u32", MAX_RANK],
  sb: ["u32", MAX_RANK],
});

/** where(cond, a, b) on raw 32-bit words: one shader for float and int branches. */
export const selectU32 = renderKernel({
  name: "select_u32",
  uniforms: SELECT_UNIFORMS,
  buffers: [read("cond", "f32"), read("xa", "u32"), read("xb", "u32"), write("y", "u32")],
  helpers: [BROADCAST],
  entry: "linear",
  body: [
    // A bit test, not c != 0.0: NaN selects a (as in the reference), whatever the compiler
    // assumes about NaN; -0 selects b.
    "let c = bitcast<u32>(cond[rn_broadcast(i, U_SC)]) & 0x7fffffffu;",
    "y[i] = select(xb[rn_broadcast(i, U_SB)], xa[rn_broadcast(i, U_SA)], c != 0u);",
  ],
});

export const CAST_UNIFORMS = new UniformLayout({ count: "u32", mode: "u32" });
export const CAST_MODES = { floatToInt: 0, intToFloat: 1 } as const;

/** float → int truncates toward zero (saturating where the reference would throw). */
export const castU32 = renderKernel({
  name: "cast_u32",
  uniforms: CAST_UNIFORMS,
  buffers: [read("x", "u32"), write("y", "u32")],
  entry: "linear",
  body: [
    "let w = x[i];",
    "if (u_mode() == 0u) {",
    "  y[i] = bitcast<u32>(i32(bitcast<f32>(w)));",
    "} else {",
    "  y[i] = bitcast<u32>(f32(bitcast<i32>(w)));",
    "}",
  ],
});
