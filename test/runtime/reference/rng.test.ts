import { describe, expect, it } from "vitest";
import { pcg, sampleHash, sampleUniform } from "../../../runtime/reference/rng.ts";
import { f64, i32, runOp, values } from "./helpers.ts";

/** A second, plain implementation of pcg with BigInt arithmetic mod 2^32. */
const M = 2n ** 32n;
function pcgBig(v: bigint): bigint {
  const state = (v * 747796405n + 2891336453n) % M;
  const word = (((state >> ((state >> 28n) + 4n)) ^ state) * 277803737n) % M;
  return ((word >> 22n) ^ word) % M;
}
function hashBig(seed: bigint, step: bigint, row: bigint): bigint {
  return pcgBig(seed ^ pcgBig((((step % M) + M) % M) ^ pcgBig(row)));
}

describe("counter-based RNG", () => {
  it("pcg matches a BigInt implementation", () => {
    const probes = [
      0,
      1,
      2,
      3,
      255,
      65535,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 - 1,
      123456789,
      0xdeadbeef,
    ];
    for (let i = 0; i < 2000; i++) probes.push((Math.imul(i, 2654435761) ^ (i << 7)) >>> 0);
    for (const v of probes) expect(pcg(v)).toBe(Number(pcgBig(BigInt(v))));
  });

  it("hash(seed, step, row) matches a BigInt implementation, negative steps as u32", () => {
    for (const seed of [0, 1, 42, 0xdeadbeef, 2 ** 32 - 1]) {
      for (const step of [0, 1, 7, 99, -1, 2 ** 31 - 1]) {
        for (const row of [0, 1, 3, 1000]) {
          expect(sampleHash(seed, step, row)).toBe(
            Number(hashBig(BigInt(seed), BigInt(step), BigInt(row))),
          );
        }
      }
    }
  });

  it("gives fixed values (computed independently in Python)", () => {
    expect(pcg(0)).toBe(129708002);
    expect(pcg(1)).toBe(2831084092);
    expect(pcg(0xffffffff)).toBe(3861530882);
    expect(pcg(123456789)).toBe(4272394698);
    expect(sampleHash(0, 0, 0)).toBe(2145236065);
    expect(sampleHash(42, 0, 0)).toBe(2377103203);
    expect(sampleHash(42, 1, 0)).toBe(3737784229);
    expect(sampleHash(42, 0, 1)).toBe(340182005);
    expect(sampleHash(0xdeadbeef, 7, 3)).toBe(3455485807);
    expect(sampleHash(1, -1, 5)).toBe(169840090);
    expect(sampleUniform(42, 0, 0)).toBe(0.5534624457359314);
    expect(sampleUniform(4294967295, 2147483647, 1000)).toBe(0.3293447494506836);
  });

  it("gives 24-bit uniforms in [0, 1) that are exact in float32", () => {
    let sum = 0;
    for (let r = 0; r < 5000; r++) {
      const u = sampleUniform(9, 3, r);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      expect(Math.fround(u)).toBe(u);
      expect(u * 2 ** 24).toBe(Math.floor(u * 2 ** 24));
      sum += u;
    }
    expect(Math.abs(sum / 5000 - 0.5)).toBeLessThan(0.02);
  });
});

describe("sample", () => {
  const probs = [0.1, 0.2, 0.3, 0.4];
  const logits = probs.map(Math.log);

  it("follows softmax(logits) over 20k rows (chi-square)", () => {
    const rows = 20000;
    const x = f64([rows, 4], Array.from({ length: rows }, () => logits).flat());
    const draws = values(runOp("sample", [x, i32([], [5])], { seed: 1234, temperature: 1 }));
    const counts = [0, 0, 0, 0];
    for (const d of draws) counts[d]!++;
    const chi2 = counts.reduce(
      (acc, c, i) => acc + (c - rows * probs[i]!) ** 2 / (rows * probs[i]!),
      0,
    );
    // 3 degrees of freedom: P(chi2 > 16.27) = 0.001
    expect(chi2).toBeLessThan(16.27);
  });

  it("is the inverse CDF of the hash's uniform, row by row", () => {
    const rows = 200;
    const x = f64([rows, 4], Array.from({ length: rows }, () => logits).flat());
    const draws = values(runOp("sample", [x, i32([], [17])], { seed: 77, temperature: 1 }));
    // the interpreter's own softmax of log(p) is p up to rounding; use its probabilities
    const p = values(runOp("softmax", [f64([4], logits)], { axis: 0 }));
    draws.forEach((d, r) => {
      const u = sampleUniform(77, 17, r);
      let cum = 0;
      let want = -1;
      for (let j = 0; j < 4 && want < 0; j++) {
        cum += p[j]!;
        if (cum > u) want = j;
      }
      expect(d).toBe(want);
    });
  });

  it("with equal logits, draws floor(4u) (exact CDF steps 0.25, 0.5, 0.75, 1)", () => {
    const x = f64([2, 4], [0, 0, 0, 0, 0, 0, 0, 0]);
    // u(42, 0, 0) = 0.5534624457359314, u(42, 0, 1) = 0.0792047381401062 (see above)
    expect(values(runOp("sample", [x, i32([], [0])], { seed: 42, temperature: 1 }))).toEqual([
      2, 0,
    ]);
  });

  it("depends on seed and step, and not on anything else", () => {
    const x = f64([64, 4], Array.from({ length: 64 }, () => logits).flat());
    const draw = (seed: number, step: number) =>
      values(runOp("sample", [x, i32([], [step])], { seed, temperature: 1 }));
    expect(draw(1, 0)).toEqual(draw(1, 0));
    expect(draw(1, 0)).not.toEqual(draw(2, 0));
    expect(draw(1, 0)).not.toEqual(draw(1, 1));
  });

  it("sharpens with low temperature and flattens with high", () => {
    const rows = 4000;
    const x = f64([rows, 4], Array.from({ length: rows }, () => logits).flat());
    const count3 = (temperature: number) =>
      values(runOp("sample", [x, i32([], [0])], { seed: 5, temperature })).filter((d) => d === 3)
        .length / rows;
    expect(count3(0.05)).toBeGreaterThan(0.99);
    expect(Math.abs(count3(1) - 0.4)).toBeLessThan(0.03);
    expect(Math.abs(count3(1000) - 0.25)).toBeLessThan(0.03);
  });

  it("never picks a zero-probability entry", () => {
    const x = f64([500, 3], Array.from({ length: 500 }, () => [0, -Infinity, 0]).flat());
    const draws = values(runOp("sample", [x, i32([], [0])], { seed: 3, temperature: 1 }));
    expect(draws.includes(1)).toBe(false);
    expect(draws.includes(0) && draws.includes(2)).toBe(true);
  });

  it("computes probabilities in float32 in float32 precision", () => {
    const x = f64([1000, 4], Array.from({ length: 1000 }, () => logits).flat());
    const a = values(runOp("sample", [x, i32([], [0])], { seed: 8, temperature: 1 }, "float32"));
    const b = values(runOp("sample", [x, i32([], [0])], { seed: 8, temperature: 1 }));
    // the same draws except, at most, for uniforms within float32 rounding of a CDF step
    expect(a.filter((d, i) => d !== b[i]).length).toBeLessThan(3);
  });
});

describe("uniform", () => {
  it("draws hash(seed, step, flat index) per element, uniformly", () => {
    const u = values(runOp("uniform", [i32([], [3])], { seed: 99, shape: [50, 40] }));
    expect(u.length).toBe(2000);
    u.forEach((v, i) => expect(v).toBe(sampleUniform(99, 3, i)));
    const mean = u.reduce((a, b) => a + b, 0) / u.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });
});
