/**
 * The WGSL helpers of fused kernels: the float math every shader may call, and one function
 * per IR elementwise op (`rn_u_sigmoid`, `rn_f_add`, `rn_i_mod`, `rn_c_less`, ...) made from
 * the same expression tables as the naive kernels, so both schedules compute alike.
 */
import {
  FLOAT_BINARY_OPS,
  FLOORDIV,
  INT_BINARY_OPS,
  INT_COMPARE_OPS,
  MOD,
  UNARY_OPS,
} from "../elementwise.ts";
import type { WgslFn } from "../kernel.ts";
import {
  EXP,
  EXPM1,
  GELU,
  GREATER_NAN,
  IS_NAN,
  LOG,
  LOG1P,
  SAMPLE_UNIFORM,
  TANH,
} from "../math.ts";

export const MATH_HELPERS: readonly WgslFn[] = [IS_NAN, EXP, TANH, EXPM1, LOG, LOG1P, GELU];

function table(
  name: string,
  ops: Readonly<Record<string, string>>,
  signature: (op: string) => string,
  uses: readonly WgslFn[] = [],
): WgslFn {
  const code = Object.entries(ops).map(([op, expr]) => `fn ${signature(op)} { return ${expr}; }`);
  return { name, uses, code: code.join("\n") };
}

function before(type: "f32" | "i32"): WgslFn {
  const greater = (a: string, b: string) =>
    type === "f32" ? `rn_greater(${a}, ${b})` : `(${a} > ${b})`;
  return {
    name: `rn_before_${type}`,
    uses: type === "f32" ? [GREATER_NAN] : [],
    code: [
      `fn rn_before_${type}(va: ${type}, ia: u32, vb: ${type}, ib: u32) -> bool {`,
      `  return ${greater("va", "vb")} || (!${greater("vb", "va")} && ia < ib);`,
      "}",
    ].join("\n"),
  };
}

export const ELEMENT_HELPERS = {
  unary: table("rn_u", UNARY_OPS, (op) => `rn_u_${op}(v: f32, alpha: f32) -> f32`, MATH_HELPERS),
  floatBinary: table("rn_f", FLOAT_BINARY_OPS, (op) => `rn_f_${op}(a: f32, b: f32) -> f32`, [
    IS_NAN,
  ]),
  intBinary: table("rn_i", INT_BINARY_OPS, (op) => `rn_i_${op}(a: i32, b: i32) -> i32`, [
    FLOORDIV,
    MOD,
  ]),
  intCompare: table("rn_c", INT_COMPARE_OPS, (op) => `rn_c_${op}(a: i32, b: i32) -> f32`),
  greater: GREATER_NAN,
  sampleUniform: SAMPLE_UNIFORM,
  before: { f32: before("f32"), i32: before("i32") },
} as const;
