/**
 * Parameter tables. Every weight a program creates gets a deterministic, readable name
 * derived from where it is written: the binding it belongs to, then what it reads:
 *
 *   i = sigmoid(linear(x) + linear(h))   →  i.x.weight, i.x.bias, i.h.weight, i.h.bias
 *   f = sigmoid(linear(x, h))            →  f.x.weight, f.h.weight, f.bias
 *   h' = ...                             →  prefix h_next
 *   param p_i: [H]                       →  p_i
 *   enc = encode(..., layers: 2, bidirectional)  →  enc.l0.<cell param>, enc.l0_reverse.<...>
 *
 * A repeated name within one binding gets `_1`, `_2`, ... in source order.
 */
import type { Expr, Span } from "../../dsl/ast.ts";

export type ParamInit = "uniform" | "zeros" | "ones" | "normal";
export const PARAM_INITS: readonly ParamInit[] = ["uniform", "zeros", "ones", "normal"];

export type ParamRole = "weight" | "bias" | "param" | "norm_weight" | "norm_bias" | "embedding";

export interface ParamEntry<D> {
  readonly name: string;
  readonly shape: readonly D[];
  readonly init: ParamInit;
  readonly role: ParamRole;
  /** Where the parameter is written in the source. */
  readonly origin: Span;
  /**
   * For `uniform`: values are drawn from U(-1/sqrt(fanIn), 1/sqrt(fanIn)), as PyTorch does —
   * the hidden size for recurrent cells (nn.RNN/LSTM/GRU), the input size for linears.
   */
  readonly fanIn?: number;
}

/** Hands out unique names in one scope (a cell body or a model body). */
export class ParamNamer {
  private readonly used = new Set<string>();

  unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Reserves a name that must stay exactly as written (explicit `param`s). */
  reserve(name: string): void {
    this.used.add(name);
  }
}

/** The name prefix of a binding: `h'` → `h_next`. */
export function bindingPrefix(name: string, primed: boolean): string {
  return primed ? `${name}_next` : name;
}

/** What a `linear` operand is called in its weight's name: `x`, `c_next`, or `in1`. */
export function operandName(expr: Expr, index: number): string {
  if (expr.kind === "name") return bindingPrefix(expr.name, expr.primed);
  return `in${index}`;
}

/** The total number of scalars in a concrete shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
