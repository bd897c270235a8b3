import { describe, expect, it } from "vitest";
import {
  fromNested,
  InterpreterError,
  scalar,
  sizeOf,
  strides,
  tensor,
  toNested,
} from "../../../runtime/reference/tensor.ts";

describe("tensor helpers", () => {
  it("computes row-major strides and sizes", () => {
    expect(strides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(strides([5])).toEqual([1]);
    expect(strides([])).toEqual([]);
    expect(sizeOf([2, 3, 4])).toBe(24);
    expect(sizeOf([])).toBe(1);
    expect(sizeOf([3, 0])).toBe(0);
  });

  it("round-trips nested arrays", () => {
    const t = fromNested("float", [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.data).toBeInstanceOf(Float64Array);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toNested(t)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const s = fromNested("int", 7);
    expect(s.shape).toEqual([]);
    expect(s.data).toBeInstanceOf(Int32Array);
    expect(toNested(s)).toBe(7);
    expect(toNested(fromNested("float", [[[1], [2]]]))).toEqual([[[1], [2]]]);
  });

  it("uses Float32Array in float32 precision and rounds", () => {
    const t = fromNested("float", [0.1, 0.2], "float32");
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.data[0]).toBe(Math.fround(0.1));
  });

  it("rejects ragged arrays, wrong sizes and non-integers for int", () => {
    expect(() => fromNested("float", [[1, 2], [3]])).toThrow(InterpreterError);
    expect(() => fromNested("float", [[1, 2], 3])).toThrow(/ragged/);
    expect(() => tensor("float", [2, 2], [1, 2, 3])).toThrow(/do not fill shape \[2, 2\]/);
    expect(() => tensor("int", [1], [1.5])).toThrow(/not a 32-bit integer/);
    expect(() => tensor("int", [1], [2 ** 31])).toThrow(/not a 32-bit integer/);
  });

  it("makes scalars", () => {
    const s = scalar("float", 2.5);
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([2.5]);
  });
});
