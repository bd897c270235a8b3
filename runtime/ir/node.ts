/**
 * The IR's data types, as the runtime reads them: the one node type, step-graph bodies, the
 * op names, and the shape helpers that both the compiler and the runtime need. The compiler
 * (compiler/ir/) builds nodes and owns each op's shape rule; the runtime only evaluates them,
 * so these types live here and the compiler imports them (runtime never imports compiler/).
 *
 * Shapes are concrete: the batch size and the padded number of steps are fixed when a model
 * is lowered; sequence lengths are data (an `int[B]` input), not shapes. `float` values are
 * computed in float64 or float32 as the backend chooses; `int` values are 32-bit integers.
 */
import type { OpName } from "./op-names.ts";

export type { OpName } from "./op-names.ts";

export type DType = "float" | "int";

export type AttrValue = number | string | boolean | readonly number[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Node {
  /** Position in its graph's creation order; inputs always have smaller ids. */
  readonly id: number;
  readonly op: OpName;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  /** For `scan` nodes: the step graph run at every step. */
  readonly body?: Body;
}

/**
 * A step graph: what one step of a recurrence computes. Its `input` nodes are the step's
 * formal parameters in this order: the per-step slices, the carried states, then the
 * constants it reads every step (params, memory, lengths), and finally the step index `t`.
 */
export interface Body {
  readonly graph: GraphLike;
  readonly slices: readonly Node[];
  readonly states: readonly Node[];
  readonly consts: readonly Node[];
  readonly step: Node;
  /** Next values of `states`, in the same order. */
  readonly nextStates: readonly Node[];
  /** Per-step outputs, stacked along axis 1 by the scan. */
  readonly outputs: readonly Node[];
}

/** The part of a graph that nodes refer to (avoids an import cycle with graph.ts). */
export interface GraphLike {
  readonly id: number;
  readonly nodes: readonly Node[];
}

/** A malformed IR: an op misused, a broken reference (a compiler bug, or a corrupt file). */
export class IRError extends Error {}

export function shapeText(dtype: DType, shape: readonly number[]): string {
  return `${dtype}[${shape.join(", ")}]`;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** NumPy broadcasting: shapes aligned on the right, size 1 stretches. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new IRError(`cannot broadcast [${a}] with [${b}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}
