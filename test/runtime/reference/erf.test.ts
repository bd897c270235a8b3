import { describe, expect, it } from "vitest";
import { erf } from "../../../runtime/reference/erf.ts";
import { f64, readFixture, runOp, ulps } from "./helpers.ts";

const fixture = readFixture("erf_mpmath.txt");
const xs = fixture.get("x")!.values;
const erfs = fixture.get("erf")!.values;
const gelus = fixture.get("gelu")!.values;

describe("erf", () => {
  it("is within one ulp of erf computed to 200 bits, at 1307 points", () => {
    let worst = 0;
    let exact = 0;
    xs.forEach((x, i) => {
      const u = ulps(erf(x), erfs[i]!);
      worst = Math.max(worst, u);
      if (u === 0) exact++;
    });
    expect(worst).toBeLessThanOrEqual(1);
    expect(exact / xs.length).toBeGreaterThan(0.9);
  });

  it("has relative error below 2.3e-16 away from zero", () => {
    xs.forEach((x, i) => {
      const want = erfs[i]!;
      if (want !== 0) expect(Math.abs(erf(x) - want) / Math.abs(want)).toBeLessThan(2.3e-16);
    });
  });

  it("matches known values and special cases", () => {
    // erf(1) = 0.8427007929497148693412206350826..., erf(0.5) = 0.5204998778130465376827466538919...
    expect(erf(1)).toBe(0.8427007929497149);
    expect(erf(0.5)).toBe(0.5204998778130465);
    expect(erf(-2)).toBe(-0.9953222650189527);
    expect(erf(0)).toBe(0);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(6)).toBe(1);
    expect(erf(-30)).toBe(-1);
    expect(Number.isNaN(erf(NaN))).toBe(true);
    expect(erf(1e-300)).toBe(1.1283791670955126e-300);
  });

  it("is odd", () => {
    for (const x of xs) expect(erf(-x)).toBe(-erf(x));
  });
});

describe("gelu (exact erf form)", () => {
  it("is within a few ulps of x * Φ(x) where there is no cancellation (x > -1)", () => {
    const input = f64([xs.length], Array.from(xs));
    const y = runOp("gelu", [input]).data;
    xs.forEach((x, i) => {
      if (x > -1) expect(ulps(y[i]!, gelus[i]!)).toBeLessThanOrEqual(4);
      // below, 1 + erf(x/√2) cancels (as in PyTorch's formula): the error is absolute
      else expect(Math.abs(y[i]! - gelus[i]!)).toBeLessThan(2e-15 * Math.abs(x));
    });
  });

  it("gives PyTorch's values at simple points", () => {
    // torch.nn.functional.gelu(torch.tensor([...], dtype=torch.float64))
    const y = runOp("gelu", [f64([5], [-3, -1, 0, 1, 3])]).data;
    expect(Array.from(y)).toEqual([
      -0.00404969409489031, -0.15865525393145702, 0, 0.841344746068543, 2.99595030590511,
    ]);
  });
});
