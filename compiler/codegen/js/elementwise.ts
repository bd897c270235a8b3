/**
 * The generated code of each elementwise op: an expression of its operands' values that
 * equals what the reference interpreter stores in float32 (float64 arithmetic rounded once
 * with fround; ints wrapped to int32), with the CPU backend's rules where the reference
 * throws (integer division by zero gives the dividend, mod by zero 0; casts saturate).
 * Activations other than sigmoid and tanh, and integer floordiv and mod, call the CPU
 * backend's one definition (`lib.activation`, `lib.intBinary`) through a constant made once.
 */
import type { Node } from "../../ir/node.ts";
import { UNARY_ELEMENTWISE_OPS } from "../../ir/ops.ts";
import { FLOAT_BINARY_OPS, INT_BINARY_OPS } from "../../../runtime/cpu/layouts.ts";
import { literal } from "./code.ts";

const BINARY = new Set<string>([...FLOAT_BINARY_OPS, ...INT_BINARY_OPS]);

/** Ops computed element by element from same-index (broadcast) operand elements. */
export function isElementwise(node: Node): boolean {
  if (node.op === "cast") return node.inputs[0]!.dtype !== node.dtype;
  return node.op === "where" || BINARY.has(node.op) || UNARY_ELEMENTWISE_OPS.includes(node.op);
}

/** Declares the function an activation needs once (e.g. gelu's); returns its name. */
export type Constant = (name: string, init: string) => string;

export function expression(node: Node, args: readonly string[], constant: Constant): string {
  const [a, b, c] = args as [string, string, string];
  const float = node.inputs[0]!.dtype === "float";
  switch (node.op) {
    case "sigmoid":
      return `fround(1 / (1 + Math.exp(-${a})))`;
    case "tanh":
      return `fround(Math.tanh(${a}))`;
    case "neg":
      return `(-${a})`;
    case "add":
      return float ? `fround(${a} + ${b})` : `(${a} + ${b}) | 0`;
    case "sub":
      return float ? `fround(${a} - ${b})` : `(${a} - ${b}) | 0`;
    case "mul":
      return float ? `fround(${a} * ${b})` : `Math.imul(${a}, ${b})`;
    case "div":
      return `fround(${a} / ${b})`;
    case "minimum":
      return float
        ? `(${a} !== ${a} || ${b} !== ${b} ? NaN : ${a} < ${b} ? ${a} : ${b})`
        : `(${a} < ${b} ? ${a} : ${b})`;
    case "maximum":
      return float
        ? `(${a} !== ${a} || ${b} !== ${b} ? NaN : ${a} > ${b} ? ${a} : ${b})`
        : `(${a} > ${b} ? ${a} : ${b})`;
    case "floordiv":
    case "mod":
      return `${constant(node.op, `lib.intBinary(${JSON.stringify(node.op)})`)}(${a}, ${b})`;
    case "less":
      return `(${a} < ${b} ? 1 : 0)`;
    case "greater":
      return `(${a} > ${b} ? 1 : 0)`;
    case "equal":
      return `(${a} === ${b} ? 1 : 0)`;
    case "where":
      return `(${a} !== 0 ? ${b} : ${c})`;
    case "cast":
      return node.dtype === "float"
        ? `fround(${a})`
        : `(${a} !== ${a} ? 0 : ${a} >= 2147483647 ? 2147483647 : ${a} <= -2147483648 ? -2147483648 : ${a} | 0)`;
    default: {
      const parameter =
        node.op === "elu" ? node.attrs.alpha : node.op === "leaky_relu" ? node.attrs.slope : 0;
      const fn = constant(
        `${node.op}_${String(parameter).replace(/\W/g, "_")}`,
        `lib.activation(${JSON.stringify(node.op)}, ${literal(Number(parameter))})`,
      );
      return `fround(${fn}(${a}))`;
    }
  }
}
