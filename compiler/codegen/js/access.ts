/**
 * How generated code reads a value: an Access is an array and, for element (i0, i1, ...),
 * the index offset + Σ i_a · strides[a] (offset is code: the slices of a sequence move with
 * the step), or a literal that every element equals. Views (reshape, slice, transpose) are
 * accesses of their operand's array, so they cost nothing; `loop` walks a shape over several
 * accesses at once, merging the axes that every access walks contiguously.
 */
import { sizeOf } from "../../ir/node.ts";
import { strides as rowMajor } from "../../../runtime/reference/tensor.ts";
import { Code, plus } from "./code.ts";

export interface ArrayAccess {
  readonly kind: "array";
  readonly array: string;
  readonly offset: string;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
}

export interface LiteralAccess {
  readonly kind: "literal";
  readonly value: string;
  readonly shape: readonly number[];
}

export type Access = ArrayAccess | LiteralAccess;

export { strides as rowMajor } from "../../../runtime/reference/tensor.ts";

export function dense(array: string, shape: readonly number[], offset = "0"): ArrayAccess {
  return { kind: "array", array, offset, shape, strides: rowMajor(shape) };
}

/** True when the access reads its shape as one row-major block. */
export function isDense(a: Access): a is ArrayAccess {
  if (a.kind !== "array") return false;
  const want = rowMajor(a.shape);
  return a.shape.every((d, i) => d === 1 || a.strides[i] === want[i]);
}

/** The same elements under a new shape (the access must be dense). */
export function reshaped(a: Access, shape: readonly number[]): Access {
  if (a.kind === "literal") return { ...a, shape };
  return dense(a.array, shape, a.offset);
}

export function sliced(a: Access, axis: number, start: number, end: number): Access {
  const shape = a.shape.map((d, i) => (i === axis ? end - start : d));
  if (a.kind === "literal") return { ...a, shape };
  return { ...a, shape, offset: plus(a.offset, String(start * a.strides[axis]!)) };
}

export function transposed(a: Access): Access {
  const r = a.shape.length;
  const swap = <T>(xs: readonly T[]) => [...xs.slice(0, -2), xs[r - 1]!, xs[r - 2]!];
  if (a.kind === "literal") return { ...a, shape: swap(a.shape) };
  return { ...a, shape: swap(a.shape), strides: swap(a.strides) };
}

/** The strides of `a` when it is read broadcast to `shape` (size-1 and missing axes: 0). */
function broadcastStrides(a: ArrayAccess, shape: readonly number[]): number[] {
  const lead = shape.length - a.shape.length;
  return shape.map((_, k) => {
    const j = k - lead;
    return j < 0 || a.shape[j] === 1 ? 0 : a.strides[j]!;
  });
}

/** Reads of one loop: `read(access)` is the element at the loop's current index. */
export type Reader = (a: Access) => string;
/** The index expression of an array access at the loop's current index. */
export type Indexer = (a: ArrayAccess) => string;

/**
 * Emits loops over `shape` and calls `body` inside with a reader of the current element of any
 * access in `accesses` (broadcast to the shape). Axes are merged where every access allows.
 */
export function loop(
  code: Code,
  shape: readonly number[],
  accesses: readonly Access[],
  body: (read: Reader, at: Indexer) => void,
): void {
  if (sizeOf(shape) === 0) return;
  const arrays = accesses.filter((a): a is ArrayAccess => a.kind === "array");
  const strides = arrays.map((a) => broadcastStrides(a, shape));
  // Keep the axes longer than 1; merge an axis into the next when every access allows.
  const dims: number[] = [];
  const merged: number[][] = strides.map(() => []);
  shape.forEach((d, axis) => {
    if (d === 1) return;
    const last = dims.length - 1;
    const joins = last >= 0 && strides.every((s, k) => merged[k]![last] === s[axis]! * d);
    if (joins) {
      dims[last] = dims[last]! * d;
      strides.forEach((s, k) => (merged[k]![last] = s[axis]!));
    } else {
      dims.push(d);
      strides.forEach((s, k) => merged[k]!.push(s[axis]!));
    }
  });
  const index = (k: number) => {
    let at = arrays[k]!.offset;
    merged[k]!.forEach((s, axis) => {
      if (s !== 0) at = plus(at, s === 1 ? `i${axis}` : `i${axis} * ${s}`);
    });
    return at;
  };
  const read: Reader = (a) => {
    if (a.kind === "literal") return a.value;
    return `${a.array}[${index(arrays.indexOf(a))}]`;
  };
  const at: Indexer = (a) => index(arrays.indexOf(a));
  const open = (axis: number): void => {
    if (axis === dims.length) return body(read, at);
    code.block(`for (let i${axis} = 0; i${axis} < ${dims[axis]}; i${axis}++)`, () =>
      open(axis + 1),
    );
  };
  if (dims.length === 0) code.block("", () => body(read, at));
  else open(0);
}

/** dst = src elementwise (src broadcast to dst's shape). */
export function copy(code: Code, src: Access, dst: ArrayAccess): void {
  loop(code, dst.shape, [src, dst], (read) => code.line(`${read(dst)} = ${read(src)};`));
}
