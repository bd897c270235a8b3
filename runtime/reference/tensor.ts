/**
 * The reference interpreter's tensor: a dense, row-major array with a dtype and a shape.
 * `float` tensors hold Float64Array data (or Float32Array when the interpreter runs in
 * float32 precision); `int` tensors hold Int32Array data. Tensors are never mutated after a
 * kernel returns them, so kernels may share `data` between tensors (reshape does).
 */
import type { DType } from "../ir/node.ts";

export type Precision = "float64" | "float32";

export type TensorData = Float64Array | Float32Array | Int32Array;

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Nested arrays of numbers, as `fromNested` reads and `toNested` writes them. */
export type Nested = number | readonly Nested[];

/** Errors raised while evaluating a graph (bad inputs, out-of-range indices, ...). */
export class InterpreterError extends Error {
  override readonly name: string = "InterpreterError";
  /** The id of the node being evaluated, when known. */
  nodeId: number | undefined;
}

/** An index outside its valid range (gather, take_along). */
export class IndexOutOfRangeError extends InterpreterError {
  override readonly name: string = "IndexOutOfRangeError";
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: the distance, in elements, between neighbours along each axis. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function typeText(dtype: DType, shape: readonly number[]): string {
  return `${dtype}[${shape.join(", ")}]`;
}

/** A zero-filled array for `dtype` in `precision`. */
export function allocData(
  dtype: DType,
  size: number,
  precision: Precision = "float64",
): TensorData {
  if (dtype === "int") return new Int32Array(size);
  return precision === "float32" ? new Float32Array(size) : new Float64Array(size);
}

/** A tensor of `dtype` and `shape` holding `values` (converted to the dtype's array type). */
export function tensor(
  dtype: DType,
  shape: readonly number[],
  values: ArrayLike<number> | undefined = undefined,
  precision: Precision = "float64",
): Tensor {
  const size = sizeOf(shape);
  const data = allocData(dtype, size, precision);
  if (values !== undefined) {
    if (values.length !== size) {
      throw new InterpreterError(`${values.length} values do not fill shape [${shape.join(", ")}]`);
    }
    for (let i = 0; i < size; i++) {
      const v = values[i]!;
      if (dtype === "int" && !(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)) {
        throw new InterpreterError(`${v} is not a 32-bit integer`);
      }
      data[i] = v;
    }
  }
  return { dtype, shape: [...shape], data };
}

export function scalar(dtype: DType, value: number, precision: Precision = "float64"): Tensor {
  return tensor(dtype, [], [value], precision);
}

function shapeOfNested(value: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = value;
  while (typeof v !== "number") {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0]!;
  }
  return shape;
}

/** A tensor from nested arrays (`[[1, 2], [3, 4]]` → shape [2, 2]); ragged arrays throw. */
export function fromNested(dtype: DType, value: Nested, precision: Precision = "float64"): Tensor {
  const shape = shapeOfNested(value);
  const flat: number[] = [];
  const walk = (v: Nested, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== "number") throw new InterpreterError("ragged nested array");
      flat.push(v);
      return;
    }
    if (typeof v === "number" || v.length !== shape[depth]) {
      throw new InterpreterError("ragged nested array");
    }
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
  return tensor(dtype, shape, flat, precision);
}

/** The tensor as nested arrays of plain numbers (a scalar becomes a number). */
export function toNested(t: Tensor): Nested {
  const build = (offset: number, depth: number): Nested => {
    if (depth === t.shape.length) return t.data[offset]!;
    const n = t.shape[depth]!;
    const step = sizeOf(t.shape.slice(depth + 1));
    const out: Nested[] = [];
    for (let i = 0; i < n; i++) out.push(build(offset + i * step, depth + 1));
    return out;
  };
  return build(0, 0);
}
