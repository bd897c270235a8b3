import { describe, expect, it } from "vitest";
import { Graph } from "../../../compiler/ir/graph.ts";
import type { Node } from "../../../compiler/ir/node.ts";
import { OP_NAMES } from "../../../compiler/ir/ops.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { broadcastIndex, KERNELS } from "../../../runtime/reference/kernels.ts";
import { InterpreterError, toNested } from "../../../runtime/reference/tensor.ts";
import { f64, i32, lcg, randomTensor, runOp, values } from "./helpers.ts";

const E = Math.E;

describe("the kernel table", () => {
  it("has exactly one kernel per op of the IR", () => {
    expect(Object.keys(KERNELS).sort()).toEqual([...OP_NAMES].sort());
    for (const op of OP_NAMES) expect(typeof KERNELS[op]).toBe("function");
  });
});

describe("sources", () => {
  it("reads inputs and params by name, fills consts, numbers iota", () => {
    const g = new Graph();
    const x = g.input("x", "float", [2]);
    const w = g.param("w", [2]);
    g.output("y", g.node("mul", [x, w]));
    g.output("c", g.constant(2.5, "float", [2, 2]));
    g.output("k", g.constant(-3, "int", [3]));
    g.output("i0", g.node("iota", [], { axis: 0, dtype: "int", shape: [2, 3] }));
    g.output("i1", g.node("iota", [], { axis: 1, dtype: "float", shape: [2, 3] }));
    const r = evaluate(g, { inputs: { x: f64([2], [1, 2]) }, params: { w: f64([2], [3, 4]) } });
    expect(values(r.y!)).toEqual([3, 8]);
    expect(toNested(r.c!)).toEqual([
      [2.5, 2.5],
      [2.5, 2.5],
    ]);
    expect(r.k!.data).toBeInstanceOf(Int32Array);
    expect(values(r.k!)).toEqual([-3, -3, -3]);
    expect(toNested(r.i0!)).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    expect(toNested(r.i1!)).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });
});

describe("unary elementwise", () => {
  const x = f64([7], [-3, -1, -0.5, 0, 0.5, 1, 3]);
  const apply = (op: Parameters<typeof runOp>[0], attrs = {}) => values(runOp(op, [x], attrs));
  const map = (f: (v: number) => number) => values(x).map(f);

  it("neg, abs, exp, log, sqrt", () => {
    expect(apply("neg")).toEqual([3, 1, 0.5, -0, -0.5, -1, -3]);
    expect(apply("abs")).toEqual([3, 1, 0.5, 0, 0.5, 1, 3]);
    expect(apply("exp")).toEqual(map(Math.exp));
    expect(values(runOp("log", [f64([3], [1, E, 0])]))).toEqual([0, 1, -Infinity]);
    expect(values(runOp("sqrt", [f64([3], [4, 2, -1])]))).toEqual([2, Math.SQRT2, NaN]);
  });

  it("sigmoid = 1 / (1 + exp(-x)), tanh", () => {
    expect(apply("sigmoid")).toEqual(map((v) => 1 / (1 + Math.exp(-v))));
    expect(apply("sigmoid")[3]).toBe(0.5);
    expect(values(runOp("sigmoid", [f64([2], [-800, 800])]))).toEqual([0, 1]);
    expect(apply("tanh")).toEqual(map(Math.tanh));
  });

  it("relu, hard_sigmoid, hard_tanh, softsign, leaky_relu", () => {
    expect(apply("relu")).toEqual([0, 0, 0, 0, 0.5, 1, 3]);
    expect(values(runOp("hard_sigmoid", [f64([6], [-4, -3, 0, 1.5, 3, 9])]))).toEqual([
      0, 0, 0.5, 0.75, 1, 1,
    ]);
    expect(apply("hard_tanh")).toEqual([-1, -1, -0.5, 0, 0.5, 1, 1]);
    expect(apply("softsign")).toEqual([-0.75, -0.5, -0.5 / 1.5, 0, 0.5 / 1.5, 0.5, 0.75]);
    expect(apply("leaky_relu", { slope: 0.1 })).toEqual([-3 * 0.1, -0.1, -0.5 * 0.1, 0, 0.5, 1, 3]);
  });

  it("elu and selu (PyTorch: (exp(x) - 1) * alpha * scale for x <= 0, x * scale above)", () => {
    expect(apply("elu", { alpha: 2 })).toEqual(map((v) => (v <= 0 ? (Math.exp(v) - 1) * 2 : v)));
    expect(apply("elu", { alpha: 2 })[1]).toBeCloseTo(2 * (1 / E - 1), 15);
    const alpha = 1.6732632423543772;
    const scale = 1.0507009873554805;
    expect(apply("selu")).toEqual(
      map((v) => (v <= 0 ? (Math.exp(v) - 1) * (alpha * scale) : v * scale)),
    );
    expect(apply("selu")[5]).toBe(scale);
  });

  it("silu = x / (1 + exp(-x)), softplus with threshold 20", () => {
    expect(apply("silu")).toEqual(map((v) => v / (1 + Math.exp(-v))));
    const sp = values(runOp("softplus", [f64([5], [0, -50, 19.5, 20, 20.5])]));
    expect(sp[0]).toBe(Math.LN2);
    expect(sp[1]).toBe(Math.log1p(Math.exp(-50)));
    expect(sp[2]).toBe(Math.log1p(Math.exp(19.5)));
    expect(sp[3]).toBe(Math.log1p(Math.exp(20)));
    expect(sp[4]).toBe(20.5);
  });

  it("keep NaN", () => {
    const nan = f64([1], [NaN]);
    for (const op of [
      "relu",
      "hard_sigmoid",
      "hard_tanh",
      "sigmoid",
      "gelu",
      "softplus",
      "selu",
    ] as const) {
      expect(Number.isNaN(runOp(op, [nan]).data[0])).toBe(true);
    }
  });

  it("reject int operands", () => {
    expect(() => KERNELS.tanh(new Graph().input("x", "int", [1]), [i32([1], [1])], null!)).toThrow(
      /expects a float operand/,
    );
  });
});

describe("binary elementwise with broadcasting", () => {
  it("aligns shapes on the right and stretches size-1 axes", () => {
    const a = f64([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(toNested(runOp("add", [a, f64([3], [10, 20, 30])]))).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
    expect(toNested(runOp("sub", [f64([2, 1], [1, 2]), f64([1, 3], [10, 20, 30])]))).toEqual([
      [-9, -19, -29],
      [-8, -18, -28],
    ]);
    expect(toNested(runOp("mul", [f64([], [2]), a]))).toEqual([
      [2, 4, 6],
      [8, 10, 12],
    ]);
    expect(toNested(runOp("div", [a, f64([2, 1], [2, 4])]))).toEqual([
      [0.5, 1, 1.5],
      [1, 1.25, 1.5],
    ]);
    expect(
      runOp("add", [f64([2, 1, 3], [0, 0, 0, 1, 1, 1]), f64([4, 1], [0, 10, 20, 30])]).shape,
    ).toEqual([2, 4, 3]);
  });

  it("broadcastIndex maps each output element to its source", () => {
    expect(Array.from(broadcastIndex([3], [2, 3]))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Array.from(broadcastIndex([2, 1], [2, 3]))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(broadcastIndex([], [2, 2]))).toEqual([0, 0, 0, 0]);
    expect(Array.from(broadcastIndex([2, 1, 2], [2, 3, 2]))).toEqual([
      0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3,
    ]);
  });

  it("minimum and maximum propagate NaN", () => {
    const a = f64([3], [1, NaN, -2]);
    const b = f64([3], [2, 0, -3]);
    expect(values(runOp("minimum", [a, b]))).toEqual([1, NaN, -3]);
    expect(values(runOp("maximum", [a, b]))).toEqual([2, NaN, -2]);
    expect(values(runOp("maximum", [i32([2], [3, -4]), i32([1], [0])]))).toEqual([3, 0]);
  });

  it("int arithmetic wraps like int32", () => {
    const big = i32([1], [2147483647]);
    expect(values(runOp("add", [big, i32([1], [1])]))).toEqual([-2147483648]);
    expect(values(runOp("sub", [i32([1], [-2147483648]), i32([1], [1])]))).toEqual([2147483647]);
    expect(values(runOp("mul", [i32([1], [65536]), i32([1], [65536])]))).toEqual([0]);
    expect(values(runOp("mul", [i32([1], [123456789]), i32([1], [1000])]))).toEqual([
      Math.imul(123456789, 1000),
    ]);
    expect(runOp("add", [big, big]).data).toBeInstanceOf(Int32Array);
  });

  it("floordiv and mod floor (Python semantics)", () => {
    const a = i32([6], [7, -7, 7, -7, 0, 6]);
    const b = i32([6], [2, 2, -2, -2, 3, 3]);
    expect(values(runOp("floordiv", [a, b]))).toEqual([3, -4, -4, 3, 0, 2]);
    expect(values(runOp("mod", [a, b]))).toEqual([1, 1, -1, -1, 0, 0]);
    expect(() => runOp("floordiv", [a, i32([1], [0])])).toThrow(/division by zero/);
    expect(() => runOp("mod", [a, i32([1], [0])])).toThrow(/division by zero/);
  });

  it("div is for floats only; comparisons give float masks", () => {
    const intDiv: Node = { id: 0, op: "div", dtype: "int", shape: [1], inputs: [], attrs: {} };
    expect(() => KERNELS.div(intDiv, [i32([1], [4]), i32([1], [2])], null!)).toThrow(
      InterpreterError,
    );
    const a = f64([4], [1, 2, 3, NaN]);
    const b = f64([1], [2]);
    const less = runOp("less", [a, b]);
    expect(less.dtype).toBe("float");
    expect(values(less)).toEqual([1, 0, 0, 0]);
    expect(values(runOp("greater", [a, b]))).toEqual([0, 0, 1, 0]);
    expect(values(runOp("equal", [a, b]))).toEqual([0, 1, 0, 0]);
    const ints = runOp("equal", [i32([3], [1, 2, 3]), i32([], [2])]);
    expect(ints.dtype).toBe("float");
    expect(values(ints)).toEqual([0, 1, 0]);
    expect(toNested(runOp("less", [f64([2, 1], [1, 2]), f64([3], [0, 1.5, 3])]))).toEqual([
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });
});

describe("where and cast", () => {
  it("where(cond, a, b) takes a where cond != 0, broadcasting all three", () => {
    const cond = f64([2, 1], [1, 0]);
    const a = f64([3], [1, 2, 3]);
    const b = f64([2, 3], [10, 20, 30, 40, 50, 60]);
    expect(toNested(runOp("where", [cond, a, b]))).toEqual([
      [1, 2, 3],
      [40, 50, 60],
    ]);
    expect(values(runOp("where", [f64([3], [-0.5, NaN, 0]), f64([], [1]), f64([], [2])]))).toEqual([
      1, 1, 2,
    ]);
    const ints = runOp("where", [f64([2], [0, 1]), i32([2], [5, 6]), i32([2], [7, 8])]);
    expect(ints.dtype).toBe("int");
    expect(values(ints)).toEqual([7, 6]);
  });

  it("cast float → int truncates toward zero; int → float is exact", () => {
    const r = runOp("cast", [f64([6], [2.7, -2.7, 0.5, -0.5, 3, -2147483648])], { to: "int" });
    expect(r.dtype).toBe("int");
    expect(values(r)).toEqual([2, -2, 0, 0, 3, -2147483648]);
    const f = runOp("cast", [i32([2], [-5, 2147483647])], { to: "float" });
    expect(f.dtype).toBe("float");
    expect(values(f)).toEqual([-5, 2147483647]);
    expect(() => runOp("cast", [f64([1], [2147483648])], { to: "int" })).toThrow(
      /does not fit an int32/,
    );
    expect(() => runOp("cast", [f64([1], [NaN])], { to: "int" })).toThrow(/does not fit an int32/);
  });
});

/** An independent, index-by-index matmul with explicit batch broadcasting, for comparison. */
function naiveMatmul(
  a: number[],
  aShape: number[],
  b: number[],
  bShape: number[],
  transposeB: boolean,
): { shape: number[]; data: number[] } {
  const [m, k] = aShape.slice(-2) as [number, number];
  const n = transposeB ? bShape[bShape.length - 2]! : bShape[bShape.length - 1]!;
  const ab = aShape.slice(0, -2);
  const bb = bShape.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const pa = [...Array(rank - ab.length).fill(1), ...ab];
  const pb = [...Array(rank - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const total = batch.reduce((x, y) => x * y, 1);
  const data: number[] = [];
  for (let p = 0; p < total; p++) {
    const idx: number[] = [];
    let rest = p;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = rest % batch[i]!;
      rest = Math.floor(rest / batch[i]!);
    }
    let offA = 0;
    let offB = 0;
    for (let i = 0; i < rank; i++) {
      offA = offA * pa[i]! + (pa[i] === 1 ? 0 : idx[i]!);
      offB = offB * pb[i]! + (pb[i] === 1 ? 0 : idx[i]!);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const bv = transposeB ? b[offB * n * k + j * k + q]! : b[offB * k * n + q * n + j]!;
          s += a[offA * m * k + i * k + q]! * bv;
        }
        data.push(s);
      }
    }
  }
  return { shape: [...batch, m, n], data };
}

describe("matmul", () => {
  it("multiplies matrices", () => {
    const a = f64([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = f64([3, 2], [7, 8, 9, 10, 11, 12]);
    expect(toNested(runOp("matmul", [a, b]))).toEqual([
      [58, 64],
      [139, 154],
    ]);
    const bt = f64([2, 3], [7, 9, 11, 8, 10, 12]);
    expect(toNested(runOp("matmul", [a, bt], { transposeB: true }))).toEqual([
      [58, 64],
      [139, 154],
    ]);
  });

  it("broadcasts leading axes like NumPy, with and without transposeB", () => {
    const next = lcg(11);
    const cases: [number[], number[], boolean][] = [
      [[2, 1, 2, 3], [3, 3, 2], false],
      [[4, 3], [2, 5, 3], true],
      [[2, 3, 4, 5], [5, 2], false],
      [[1, 2, 3], [4, 2, 3], true],
    ];
    for (const [as, bs, tb] of cases) {
      const a = randomTensor(as, next);
      const b = randomTensor(bs, next);
      const got = runOp("matmul", [a, b], { transposeB: tb });
      const want = naiveMatmul(values(a), as, values(b), bs, tb);
      expect(got.shape).toEqual(want.shape);
      expect(values(got)).toEqual(want.data);
    }
  });

  it("sums k in increasing order", () => {
    // (1e16 + 1) - 1e16 = 0 in float64, while 1e16 + (1 - 1e16) = 2 would need another order
    const a = f64([1, 3], [1e16, 1, -1e16]);
    const b = f64([3, 1], [1, 1, 1]);
    expect(values(runOp("matmul", [a, b]))).toEqual([0]);
    const c = f64([1, 3], [1, 1e16, -1e16]);
    expect(values(runOp("matmul", [c, b]))).toEqual([0]);
    const d = f64([1, 3], [1e16, -1e16, 1]);
    expect(values(runOp("matmul", [d, b]))).toEqual([1]);
  });
});

describe("reductions", () => {
  const x = f64([2, 3], [1, 5, 3, 4, 2, 6]);

  it("sum, mean, max over an axis, with and without keepdims", () => {
    expect(values(runOp("sum", [x], { axis: 0 }))).toEqual([5, 7, 9]);
    expect(runOp("sum", [x], { axis: 1, keepdims: true }).shape).toEqual([2, 1]);
    expect(values(runOp("sum", [x], { axis: 1, keepdims: true }))).toEqual([9, 12]);
    expect(values(runOp("mean", [x], { axis: 1 }))).toEqual([3, 4]);
    expect(values(runOp("mean", [x], { axis: 0 }))).toEqual([2.5, 3.5, 4.5]);
    expect(values(runOp("max", [x], { axis: 1 }))).toEqual([5, 6]);
    expect(runOp("max", [x], { axis: 0, keepdims: true }).shape).toEqual([1, 3]);
    expect(values(runOp("sum", [i32([2, 2], [2147483647, 1, 3, 4])], { axis: 1 }))).toEqual([
      -2147483648, 7,
    ]);
  });

  it("reduces middle axes of rank-3 tensors", () => {
    const t = f64([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(toNested(runOp("sum", [t], { axis: 1 }))).toEqual([
      [9, 12],
      [27, 30],
    ]);
    expect(toNested(runOp("argmax", [t], { axis: 1 }))).toEqual([
      [2, 2],
      [2, 2],
    ]);
  });

  it("sums in increasing index order", () => {
    expect(values(runOp("sum", [f64([3], [1e16, 1, -1e16])], { axis: 0 }))).toEqual([0]);
    expect(values(runOp("sum", [f64([3], [1e16, -1e16, 1])], { axis: 0 }))).toEqual([1]);
  });

  it("argmax and max: first index on ties, NaN is the largest", () => {
    const t = f64([3, 4], [1, 3, 3, 2, 5, 5, 5, 5, 0, NaN, 7, NaN]);
    const am = runOp("argmax", [t], { axis: 1 });
    expect(am.dtype).toBe("int");
    expect(values(am)).toEqual([1, 0, 1]);
    expect(values(runOp("max", [t], { axis: 1 }))).toEqual([3, 5, NaN]);
    expect(values(runOp("argmax", [t], { axis: 0, keepdims: true }))).toEqual([1, 2, 2, 2]);
  });

  it("topk: indices of the k largest, largest first, first index on ties", () => {
    const t = f64([2, 5], [1, 4, 4, 2, 9, 3, 3, 3, NaN, 0]);
    const r = runOp("topk", [t], { k: 3 });
    expect(r.dtype).toBe("int");
    expect(toNested(r)).toEqual([
      [4, 1, 2],
      [3, 0, 1],
    ]);
    expect(values(runOp("topk", [f64([4], [2, 2, 2, 2])], { k: 4 }))).toEqual([0, 1, 2, 3]);
    expect(values(runOp("topk", [i32([3], [5, -1, 7])], { k: 1 }))).toEqual([2]);
  });
});

describe("softmax, log_softmax, layernorm", () => {
  it("softmax is exp(x - max) * (1 / sum), along any axis", () => {
    const x = f64([2, 3], [1, 2, 3, 1, 1, 1]);
    const s = runOp("softmax", [x], { axis: 1 });
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const sum = e[0]! + e[1]! + e[2]!;
    expect(values(s).slice(0, 3)).toEqual(e.map((v) => v * (1 / sum)));
    expect(values(s).slice(3)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    const s0 = runOp("softmax", [x], { axis: 0 });
    expect(values(s0)[1]).toBe(Math.exp(0) * (1 / (Math.exp(0) + Math.exp(-1))));
    expect(values(s0)[0]).toBe(0.5);
  });

  it("is stable for large values and handles -inf entries", () => {
    expect(values(runOp("softmax", [f64([2], [1000, 1000])], { axis: 0 }))).toEqual([0.5, 0.5]);
    expect(values(runOp("softmax", [f64([3], [-Infinity, 0, -Infinity])], { axis: 0 }))).toEqual([
      0, 1, 0,
    ]);
    expect(values(runOp("log_softmax", [f64([2], [1000, 1000])], { axis: 0 }))).toEqual([
      -Math.LN2,
      -Math.LN2,
    ]);
  });

  it("log_softmax is (x - max) - log(sum exp(x - max))", () => {
    const x = f64([3], [0.5, -1, 2]);
    const sum = Math.exp(0.5 - 2) + Math.exp(-1 - 2) + Math.exp(0);
    expect(values(runOp("log_softmax", [x], { axis: 0 }))).toEqual(
      [0.5, -1, 2].map((v) => v - 2 - Math.log(sum)),
    );
  });

  it("layernorm normalises the last axis with the biased variance", () => {
    const x = f64([2, 4], [1, 2, 3, 4, 2, 2, 2, 2]);
    const r = values(runOp("layernorm", [x], { eps: 0 }));
    const sd = Math.sqrt(1.25);
    expect(r.slice(0, 4)).toEqual([-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd]);
    expect(r.slice(4)).toEqual([NaN, NaN, NaN, NaN]); // 0 / sqrt(0 + 0)
    expect(values(runOp("layernorm", [x], { eps: 1 })).slice(4)).toEqual([0, 0, 0, 0]);
    expect(values(runOp("layernorm", [x], { eps: 1e-5 }))[0]).toBe(-1.5 / Math.sqrt(1.25 + 1e-5));
  });
});

describe("data movement", () => {
  it("concat joins along an axis", () => {
    const a = f64([2, 2], [1, 2, 3, 4]);
    const b = f64([2, 1], [5, 6]);
    expect(toNested(runOp("concat", [a, b], { axis: 1 }))).toEqual([
      [1, 2, 5],
      [3, 4, 6],
    ]);
    expect(toNested(runOp("concat", [a, f64([1, 2], [7, 8]), a], { axis: 0 }))).toEqual([
      [1, 2],
      [3, 4],
      [7, 8],
      [1, 2],
      [3, 4],
    ]);
    expect(values(runOp("concat", [i32([1], [1]), i32([2], [2, 3])], { axis: 0 }))).toEqual([
      1, 2, 3,
    ]);
  });

  it("slice takes start:end along an axis", () => {
    const x = f64([2, 4], [0, 1, 2, 3, 4, 5, 6, 7]);
    expect(toNested(runOp("slice", [x], { axis: 1, start: 1, end: 3 }))).toEqual([
      [1, 2],
      [5, 6],
    ]);
    expect(toNested(runOp("slice", [x], { axis: 0, start: 1, end: 2 }))).toEqual([[4, 5, 6, 7]]);
  });

  it("reshape keeps the row-major order", () => {
    const x = f64([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(toNested(runOp("reshape", [x], { shape: [3, 2] }))).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(toNested(runOp("reshape", [f64([1], [9])], { shape: [] }))).toBe(9);
  });

  it("gather picks rows by index: result shape is indices' shape + the rows' shape", () => {
    const table = f64([3, 2], [0, 1, 10, 11, 20, 21]);
    const r = runOp("gather", [table, i32([2, 2], [2, 0, 1, 1])]);
    expect(toNested(r)).toEqual([
      [
        [20, 21],
        [0, 1],
      ],
      [
        [10, 11],
        [10, 11],
      ],
    ]);
    expect(values(runOp("gather", [i32([4], [5, 6, 7, 8]), i32([3], [3, 3, 0])]))).toEqual([
      8, 8, 5,
    ]);
  });

  it("take_along picks along the last axis per row", () => {
    const x = f64([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(toNested(runOp("take_along", [x, i32([2, 2], [2, 0, 1, 1])]))).toEqual([
      [3, 1],
      [5, 5],
    ]);
    expect(toNested(runOp("take_along", [x, i32([2, 1], [0, 2])]))).toEqual([[1], [6]]);
  });
});
