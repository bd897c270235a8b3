import { describe, expect, it } from "vitest";
import { Graph } from "../../../compiler/ir/graph.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { f64, i32, lcg, randomTensor, runOp, values } from "./helpers.ts";

const f = Math.fround;
const EPS = 2 ** -25; // a quarter of float32's ulp at 1

describe("float32 precision", () => {
  it("stores every float tensor as a Float32Array, rounding inputs and results", () => {
    const r = runOp("add", [f64([1], [0.1]), f64([1], [0.2])], {}, "float32");
    expect(r.data).toBeInstanceOf(Float32Array);
    expect(r.data[0]).toBe(f(f(0.1) + f(0.2)));
    expect(r.data[0]).not.toBe(0.1 + 0.2);
    const ints = runOp("add", [i32([1], [1]), i32([1], [2])], {}, "float32");
    expect(ints.data).toBeInstanceOf(Int32Array);
  });

  it("rounds each op's result once (internals in float64)", () => {
    const x = randomTensor([50], lcg(2), 4);
    for (const op of ["sigmoid", "tanh", "gelu", "silu", "softplus", "exp"] as const) {
      const r32 = runOp(op, [x], {}, "float32");
      const r64 = runOp(op, [{ ...x, data: Float64Array.from(x.data, f) }]);
      expect(values(r32)).toEqual(values(r64).map(f));
    }
  });

  it("chains of ops round after every op", () => {
    const g = new Graph();
    const x = g.input("x", "float", [1]);
    g.output("y", g.node("mul", [g.node("add", [x, g.constant(1 / 3)]), g.constant(3)]));
    const y = evaluate(g, { inputs: { x: f64([1], [0.1]) } }, { precision: "float32" }).y!;
    expect(y.data[0]).toBe(f(f(f(0.1) + f(1 / 3)) * f(3)));
  });

  it("matmul accumulates in float32, term by term, in increasing k", () => {
    // 1 + 3 * 2^-25: float64 keeps it (then rounds to 1 + 2^-23); an f32 accumulator drops each term
    const a = f64([1, 4], [1, EPS, EPS, EPS]);
    const b = f64([4, 1], [1, 1, 1, 1]);
    expect(values(runOp("matmul", [a, b], {}, "float32"))).toEqual([1]);
    expect(values(runOp("matmul", [a, b]))).toEqual([1 + 3 * EPS]);
    // small terms first: they add up before meeting the 1
    const c = f64([1, 4], [EPS, EPS, EPS, 1]);
    expect(values(runOp("matmul", [c, b], {}, "float32"))).toEqual([f(1 + 3 * EPS)]);
  });

  it("matmul rounds each product to float32 before adding it (no fused multiply-add)", () => {
    const u = 1 + 2 ** -12;
    // u * u = 1 + 2^-11 + 2^-24 rounds (ties to even) to 1 + 2^-11 in float32
    const a = f64([1, 2], [u, -1]);
    const b = f64([2, 1], [u, 1 + 2 ** -11]);
    expect(values(runOp("matmul", [a, b], {}, "float32"))).toEqual([0]);
    expect(values(runOp("matmul", [a, b]))).toEqual([2 ** -24]);
  });

  it("sum and mean accumulate in float32", () => {
    const x = f64([4], [1, EPS, EPS, EPS]);
    expect(values(runOp("sum", [x], { axis: 0 }, "float32"))).toEqual([1]);
    expect(values(runOp("mean", [x], { axis: 0 }, "float32"))).toEqual([0.25]);
    expect(values(runOp("sum", [x], { axis: 0 }))).toEqual([1 + 3 * EPS]);
  });

  it("casts and constants round to float32", () => {
    const c = runOp("cast", [i32([1], [16777217])], { to: "float" }, "float32");
    expect(values(c)).toEqual([16777216]);
    const g = new Graph();
    g.output("c", g.constant(0.1, "float", [2]));
    expect(values(evaluate(g, {}, { precision: "float32" }).c!)).toEqual([f(0.1), f(0.1)]);
  });
});
