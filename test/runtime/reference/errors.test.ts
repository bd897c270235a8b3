import { describe, expect, it } from "vitest";
import { Graph } from "../../../compiler/ir/graph.ts";
import type { Body } from "../../../compiler/ir/node.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import {
  IndexOutOfRangeError,
  InterpreterError,
  tensor,
} from "../../../runtime/reference/tensor.ts";
import { f64, i32, runOp } from "./helpers.ts";

function caught(f: () => unknown): InterpreterError {
  try {
    f();
  } catch (e) {
    if (e instanceof InterpreterError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("inputs and params are checked", () => {
  const g = new Graph();
  const x = g.input("x", "float", [2, 3]);
  const w = g.param("w", [3]);
  g.output("y", g.node("mul", [x, w]));
  const ok = { x: f64([2, 3], [1, 2, 3, 4, 5, 6]) };
  const params = { w: f64([3], [1, 1, 1]) };

  it("names a missing input or param and its expected type", () => {
    expect(() => evaluate(g, { params })).toThrow("missing input 'x' (expected float[2, 3])");
    expect(() => evaluate(g, { inputs: ok })).toThrow("missing param 'w' (expected float[3])");
  });

  it("names the input, expected and got on a shape or dtype mismatch", () => {
    expect(() => evaluate(g, { inputs: { x: f64([2, 4], new Array(8).fill(0)) }, params })).toThrow(
      "input 'x': expected float[2, 3], got float[2, 4]",
    );
    expect(() => evaluate(g, { inputs: { x: i32([2, 3], [1, 2, 3, 4, 5, 6]) }, params })).toThrow(
      "input 'x': expected float[2, 3], got int[2, 3]",
    );
    expect(() => evaluate(g, { inputs: ok, params: { w: f64([1, 3], [1, 1, 1]) } })).toThrow(
      "param 'w': expected float[3], got float[1, 3]",
    );
  });

  it("checks the data against the shape and dtype", () => {
    const short = { dtype: "float" as const, shape: [2, 3], data: new Float64Array(5) };
    expect(() => evaluate(g, { inputs: { x: short }, params })).toThrow(
      /needs 6 values, its data has 5/,
    );
    const wrong = { dtype: "float" as const, shape: [2, 3], data: new Int32Array(6) };
    expect(() => evaluate(g, { inputs: { x: wrong }, params })).toThrow(
      /Float64Array or Float32Array/,
    );
    const h = new Graph();
    h.output("n", h.input("n", "int", [1]));
    expect(() =>
      evaluate(h, { inputs: { n: { dtype: "int", shape: [1], data: new Float64Array(1) } } }),
    ).toThrow(/Int32Array/);
  });

  it("accepts Float32Array data in float64 precision (exactly)", () => {
    const x32 = {
      dtype: "float" as const,
      shape: [2, 3],
      data: Float32Array.from([1, 2, 3, 4, 5, 0.1]),
    };
    const y = evaluate(g, { inputs: { x: x32 }, params }).y!;
    expect(y.data).toBeInstanceOf(Float64Array);
    expect(y.data[5]).toBe(Math.fround(0.1));
  });

  it("needs only the inputs that the outputs depend on", () => {
    const h = new Graph();
    const a = h.input("a", "float", [1]);
    h.input("unused", "float", [5]);
    const idx = h.input("idx", "int", [1]);
    h.node("gather", [h.constant(0, "float", [2, 1]), idx]); // dead: never evaluated
    h.output("b", h.node("neg", [a]));
    expect(evaluate(h, { inputs: { a: f64([1], [2]) } }).b!.data[0]).toBe(-2);
  });
});

describe("runtime errors", () => {
  it("gather: out-of-range index", () => {
    const e = caught(() =>
      runOp("gather", [f64([10, 2], new Array(20).fill(0)), i32([3], [1, 12, 0])]),
    );
    expect(e).toBeInstanceOf(IndexOutOfRangeError);
    expect(e.message).toBe("gather: index 12 out of range [0, 10)");
    expect(e.nodeId).toBe(2);
    expect(() => runOp("gather", [f64([3], [1, 2, 3]), i32([1], [-1])])).toThrow(
      "gather: index -1 out of range [0, 3)",
    );
  });

  it("take_along: out-of-range index", () => {
    expect(() => runOp("take_along", [f64([1, 3], [1, 2, 3]), i32([1, 1], [3])])).toThrow(
      "take_along: index 3 out of range [0, 3)",
    );
  });

  it("int division by zero and bad casts", () => {
    expect(() => runOp("floordiv", [i32([1], [1]), i32([1], [0])])).toThrow(InterpreterError);
    expect(() => runOp("cast", [f64([1], [Infinity])], { to: "int" })).toThrow(
      /does not fit an int32/,
    );
  });

  it("an output that is a scan tuple", () => {
    const g = new Graph();
    const body = new Graph("body");
    const s = body.input("s", "float", [1]);
    const t = body.input("t", "int", []);
    const b: Body = {
      graph: body,
      slices: [],
      states: [s],
      consts: [],
      step: t,
      nextStates: [s],
      outputs: [],
    };
    const init = g.constant(0, "float", [1]);
    const scan = g.node(
      "scan",
      [init],
      { steps: 2, reverse: false, slices: 0, states: 1, consts: 0 },
      b,
    );
    g.output("tuple", scan);
    expect(() => evaluate(g, {})).toThrow(/scan tuple/);
  });

  it("a scan whose inputs do not fit its body", () => {
    const g = new Graph();
    const body = new Graph("body");
    const s = body.input("s", "float", [2]);
    const t = body.input("t", "int", []);
    const b: Body = {
      graph: body,
      slices: [],
      states: [s],
      consts: [],
      step: t,
      nextStates: [s],
      outputs: [],
    };
    const init = g.constant(0, "float", [3]);
    const scan = g.node(
      "scan",
      [init],
      { steps: 2, reverse: false, slices: 0, states: 1, consts: 0 },
      b,
    );
    g.output("s", g.scanOutputs(scan)[0]!);
    expect(() => evaluate(g, {})).toThrow("scan: body input 's' expects float[2], got float[3]");
  });

  it("tensor() rejects values that do not fill the shape", () => {
    expect(() => tensor("float", [3], [1, 2])).toThrow(InterpreterError);
  });
});
