/**
 * Reading a checked call's arguments during lowering (the checker has already validated
 * them), and the activations: the language's activation names are IR op names, with
 * PyTorch's defaults for their options.
 */
import type { BinaryOp, Call, Expr } from "../../dsl/ast.ts";
import { constantNumber } from "../check/args.ts";
import { ACTIVATIONS } from "../check/builtins.ts";
import type { OpName } from "../ir/ops.ts";

export function positional(call: Call): Expr[] {
  return call.args.filter((a) => !a.name).map((a) => a.value);
}

export function named(call: Call, name: string): Expr | undefined {
  return call.args.find((a) => a.name?.name === name)?.value;
}

export function namedNumber(call: Call, name: string, fallback: number): number {
  const arg = named(call, name);
  return arg ? (constantNumber(arg) ?? fallback) : fallback;
}

export function namedBool(call: Call, name: string, fallback: boolean): boolean {
  const arg = named(call, name);
  return arg?.kind === "bool" ? arg.value : fallback;
}

/** PyTorch's defaults for activation options (nn.ELU alpha, nn.LeakyReLU negative_slope). */
const DEFAULTS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  elu: { alpha: 1 },
  leaky_relu: { slope: 0.01 },
};

/** An activation call as an IR op and its attributes, or undefined if it is not one. */
export function activation(call: Call): { op: OpName; attrs: Record<string, number> } | undefined {
  const name = call.callee.name;
  if (!Object.hasOwn(ACTIVATIONS, name)) return undefined;
  const attrs: Record<string, number> = {};
  for (const [option, fallback] of Object.entries(DEFAULTS[name] ?? {}))
    attrs[option] = namedNumber(call, option, fallback);
  return { op: name as OpName, attrs };
}

/** The IR op of each arithmetic operator. */
export const BINARY_OPS: Readonly<Record<BinaryOp, OpName>> = {
  "+": "add",
  "-": "sub",
  "*": "mul",
  "/": "div",
};
