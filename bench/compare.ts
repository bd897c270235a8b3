/** How far a system's check output is from rnnc's. */
import type { Values } from "./systems/types.ts";

export interface Difference {
  /** max |a - b| over the values (floats), or the count of differing tokens (ints). */
  readonly value: number;
  readonly kind: "max-abs" | "tokens";
  readonly count: number;
  /** Why nothing was compared (e.g. sizes differ). */
  readonly problem?: string;
}

export function difference(reference: Values, got: Values): Difference {
  const ints = reference instanceof Int32Array;
  if (reference.length !== got.length)
    return {
      value: Number.NaN,
      kind: ints ? "tokens" : "max-abs",
      count: got.length,
      problem: `${got.length} values, rnnc has ${reference.length}`,
    };
  let value = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(Number(reference[i]) - Number(got[i]));
    if (ints) value += d === 0 ? 0 : 1;
    else value = Number.isNaN(d) ? Number.NaN : Math.max(value, d);
  }
  return { value, kind: ints ? "tokens" : "max-abs", count: reference.length };
}

export function formatDifference(d: Difference): string {
  if (d.problem) return d.problem;
  if (d.kind === "tokens") return `${d.value}/${d.count} tokens differ`;
  return d.value === 0 ? "0" : d.value.toExponential(1);
}
