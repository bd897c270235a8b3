/**
 * The interpreter against PyTorch's own float64 results (fixtures/torch_ops.txt, written by
 * fixtures/make_torch_ops.py with Debian's python3-torch). Ops made only of exactly rounded
 * steps (+ - * / sqrt, min/max, comparisons) must match to the bit. Ops that call exp, log,
 * tanh or erf can differ by an ulp or two: V8's Math.exp/log/tanh (fdlibm ports) and PyTorch's
 * Sleef/glibc are each within about an ulp of the true value, not always the same ulp; where a
 * formula then cancels (gelu, elu, selu near 0⁻, x - max - log(sum)), that difference is
 * amplified exactly as it is between PyTorch's own vectorised and scalar paths.
 */
import { describe, expect, it } from "vitest";
import type { Attrs } from "../../../compiler/ir/node.ts";
import type { OpName } from "../../../compiler/ir/ops.ts";
import { tensor } from "../../../runtime/reference/tensor.ts";
import { readFixture, runOp, ulps, type FixtureTensor } from "./helpers.ts";

const fx = readFixture("torch_ops.txt");
const get = (name: string): FixtureTensor =>
  fx.get(name) ?? expect.fail(`fixture has no '${name}'`);
const asTensor = (t: FixtureTensor) => tensor("float", t.shape, t.values);

const EPS = 2 ** -52;

/**
 * The largest difference in ulps, and the largest difference in units of EPS * max(1, |want|)
 * (relative above 1, absolute below: the measure for results that cancel near 0).
 */
function compare(
  got: ArrayLike<number>,
  want: Float64Array,
): { ulps: number; mixed: number; bitsDiffer: number } {
  let u = 0;
  let m = 0;
  let bitsDiffer = 0;
  want.forEach((w, i) => {
    const g = got[i]!;
    if (!Object.is(g, w)) bitsDiffer++; // NaN is NaN; -0 is not 0
    u = Math.max(u, ulps(g, w));
    if (g !== w && !Number.isNaN(w))
      m = Math.max(m, Math.abs(g - w) / (EPS * Math.max(1, Math.abs(w))));
  });
  return { ulps: u, mixed: m, bitsDiffer };
}

describe("float64 parity with PyTorch (unary)", () => {
  const x = asTensor(get("x"));
  const attrs: Partial<Record<OpName, Attrs>> = {
    elu: { alpha: 0.7 },
    leaky_relu: { slope: 0.03 },
  };
  const exact: OpName[] = [
    "neg",
    "relu",
    "hard_sigmoid",
    "hard_tanh",
    "softsign",
    "leaky_relu",
    "sqrt",
    "abs",
  ];
  const close: [OpName, number][] = [
    ["exp", 1],
    ["log", 1],
    ["tanh", 2],
    ["sigmoid", 2],
    ["silu", 2],
    ["softplus", 2],
  ];
  const cancelling: OpName[] = ["gelu", "elu", "selu"];

  it.each(exact)("%s is bit-exact, signed zeros included", (op) => {
    const y = runOp(op, [x], attrs[op] ?? {});
    expect(compare(y.data, get(op).values).bitsDiffer).toBe(0);
  });

  it.each(["minimum", "maximum", "div"] as const)(
    "%s is bit-exact on neighbouring values (NaN, ±0, ±inf included)",
    (op) => {
      for (const shift of ["1", "-1"]) {
        const y = runOp(op, [x, asTensor(get(`roll${shift}`))]);
        expect(compare(y.data, get(`${op}${shift}`).values).bitsDiffer).toBe(0);
      }
    },
  );

  it.each(close)("%s is within %i ulp", (op, n) => {
    const y = runOp(op, [x], attrs[op] ?? {});
    expect(compare(y.data, get(op).values).ulps).toBeLessThanOrEqual(n);
  });

  it.each(cancelling)("%s is within 8 EPS * max(1, |y|) (1 ± erf/exp cancels near 0)", (op) => {
    const y = runOp(op, [x], attrs[op] ?? {});
    const { ulps: u, mixed } = compare(y.data, get(op).values);
    expect(mixed).toBeLessThanOrEqual(8);
    expect(u).toBeLessThan(Infinity); // NaN and infinities in the same places
  });
});

describe("float64 parity with PyTorch (reductions, normalisations, matmul)", () => {
  const rows = asTensor(get("rows"));

  it("matmul is bit-exact here (PyTorch summed k in order too)", () => {
    const y = runOp("matmul", [asTensor(get("matmul.a")), asTensor(get("matmul.b"))]);
    expect(y.shape).toEqual(get("matmul").shape);
    expect(compare(y.data, get("matmul").values).bitsDiffer).toBe(0);
  });

  it("sum and mean are within EPS * sum|x| (PyTorch's vectorised sum adds in another order)", () => {
    const [r, n] = rows.shape as [number, number];
    for (const op of ["sum", "mean"] as const) {
      const got = runOp(op, [rows], { axis: 1 }).data;
      get(op).values.forEach((want, i) => {
        let bound = 0;
        for (let j = 0; j < n; j++) bound += Math.abs(rows.data[i * n + j]!) * EPS;
        expect(Math.abs(got[i]! - want)).toBeLessThanOrEqual(op === "sum" ? bound : bound / n);
      });
      expect(got.length).toBe(r);
    }
  });

  it("softmax is within 8 ulps, log_softmax within 4 EPS * max(1, |y|)", () => {
    expect(
      compare(runOp("softmax", [rows], { axis: 1 }).data, get("softmax").values).ulps,
    ).toBeLessThanOrEqual(8);
    const ls = compare(runOp("log_softmax", [rows], { axis: 1 }).data, get("log_softmax").values);
    expect(ls.mixed).toBeLessThanOrEqual(4);
  });

  it("layernorm is within 4 EPS * max(1, |y|) (PyTorch: Welford moments, (x - mean) * rstd)", () => {
    const { mixed } = compare(
      runOp("layernorm", [rows], { eps: 1e-5 }).data,
      get("layernorm").values,
    );
    expect(mixed).toBeLessThanOrEqual(4);
  });
});
