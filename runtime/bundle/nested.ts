/**
 * Inputs written as nested arrays, batch-major (`[[[0.1, 0.2], ...], ...]` for float[B, T, 2]),
 * turned into flat row-major values. Sequences may be ragged along the time axis: they are
 * padded with zeros to the longest, and their lengths returned. Used by `rnnc run` (spec or
 * bundle) and by the bundle runtime's `run`; errors name the element (`input 'x'[0][1]`).
 */

/** An input's type: dtype, optional time axis, feature sizes after it (batch implied). */
export interface InputType {
  readonly dtype: "float" | "int";
  readonly time?: string | undefined;
  readonly dims: readonly number[];
}

export type Nested = number | readonly Nested[];

/** The largest float32: larger values would reach the backends as infinity. */
export const F32_MAX = 3.4028234663852886e38;

/** Whether `v` is a number the backends hold as it is (finite, and within float32's range). */
export function isFiniteValue(v: unknown): v is number {
  return typeof v === "number" && Math.abs(v) <= F32_MAX;
}

/** What is wrong: a value of the wrong kind ("dtype") or an array of the wrong size ("shape"). */
export class NestedInputError extends Error {
  override readonly name = "NestedInputError";

  constructor(
    readonly kind: "dtype" | "shape",
    message: string,
  ) {
    super(message);
  }
}

export interface FlatInput {
  /** [B, T?, ...dims], T the longest sequence. */
  readonly shape: number[];
  readonly values: number[];
  /** Each sequence's length, for time-axis inputs. */
  readonly lengths?: number[];
}

export function typeText(type: InputType): string {
  return `${type.dtype}[${["B", ...(type.time ? [type.time] : []), ...type.dims].join(", ")}]`;
}

/** Flattens `value`, padding ragged sequences; throws NestedInputError naming the element. */
export function flattenNested(name: string, type: InputType, value: unknown): FlatInput {
  const where = (path: number[]) => `input '${name}'${path.map((i) => `[${i}]`).join("")}`;
  const rank = 1 + (type.time ? 1 : 0) + type.dims.length;
  const check = (v: unknown, depth: number, path: number[]): Nested => {
    if (depth === rank) {
      if (!isFiniteValue(v))
        throw new NestedInputError(
          "dtype",
          `${where(path)}: expected a finite float32 number, got ${typeof v === "number" ? v : JSON.stringify(v)?.slice(0, 40)}`,
        );
      if (type.dtype === "int" && !Number.isInteger(v))
        throw new NestedInputError(
          "dtype",
          `${where(path)}: expected a whole number (a token id), got ${v}`,
        );
      return v;
    }
    if (!Array.isArray(v))
      throw new NestedInputError(
        "shape",
        `${where(path)}: expected an array (the input is ${typeText(type)}), got ${JSON.stringify(v)?.slice(0, 40)}`,
      );
    return v.map((x, i) => check(x, depth + 1, [...path, i]));
  };
  const nested = check(value, 0, []) as Nested[];
  const batch = nested.length;
  if (batch === 0) throw new NestedInputError("shape", `input '${name}': the batch is empty`);
  const lengths = type.time ? nested.map((seq) => (seq as Nested[]).length) : undefined;
  const steps = lengths ? Math.max(...lengths) : 0;
  const shape = [batch, ...(type.time ? [steps] : []), ...type.dims];
  const flat: number[] = [];
  const perStep = type.dims.reduce((a, b) => a * b, 1);
  const flatten = (v: Nested, depth: number, path: number[]) => {
    if (depth === rank) return void flat.push(v as number);
    const items = v as Nested[];
    const expected =
      depth === 0
        ? batch
        : depth === 1 && type.time
          ? items.length
          : type.dims[depth - 1 - (type.time ? 1 : 0)];
    if (items.length !== expected)
      throw new NestedInputError(
        "shape",
        `${where(path)}: expected ${expected} values, got ${items.length}`,
      );
    items.forEach((x, i) => flatten(x, depth + 1, [...path, i]));
    if (depth === 1 && type.time)
      for (let pad = items.length; pad < steps; pad++)
        flat.push(...new Array<number>(perStep).fill(0));
  };
  flatten(nested, 0, []);
  return { shape, values: flat, ...(lengths ? { lengths } : {}) };
}
