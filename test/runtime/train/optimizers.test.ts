// rnnc's optimisers, gradient clipping and schedules against torch.optim trajectories
// (test/fixtures/optim/optimizers.json, written by make_optim_fixtures.py).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  clipGradNorm,
  Optimizer,
  type OptimizerOptions,
} from "../../../runtime/train/optimizers.ts";
import { learningRate, type Schedule } from "../../../runtime/train/schedules.ts";

interface Fixture {
  optimizers: {
    name: string;
    options: OptimizerOptions;
    initial: number[][];
    grads: number[][][];
    after: number[][][];
  }[];
  clip: { maxNorm: number; grads: number[][]; norm: number; clipped: number[][] }[];
  schedules: { schedule: Schedule; lr: number; rates: number[] }[];
}

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/optim/optimizers.json", import.meta.url), "utf8"),
) as Fixture;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe("optimisers follow torch.optim step by step (float64)", () => {
  it.each(fixture.optimizers.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const params = new Map(c.initial.map((v, i) => [`p${i}`, Float64Array.from(v)]));
    const optimizer = new Optimizer(c.options);
    c.grads.forEach((stepGrads, step) => {
      optimizer.step(params, new Map(stepGrads.map((g, i) => [`p${i}`, Float64Array.from(g)])));
      c.after[step]!.forEach((want, i) =>
        expect(maxDiff(params.get(`p${i}`)!, want)).toBeLessThan(1e-14),
      );
    });
  });

  it("runs in float32 too, close to float64", () => {
    const c = fixture.optimizers.find((o) => o.name === "adam")!;
    const params = new Map(c.initial.map((v, i) => [`p${i}`, Float32Array.from(v)]));
    const optimizer = new Optimizer(c.options);
    for (const stepGrads of c.grads)
      optimizer.step(params, new Map(stepGrads.map((g, i) => [`p${i}`, Float32Array.from(g)])));
    c.after[c.after.length - 1]!.forEach((want, i) =>
      expect(maxDiff(params.get(`p${i}`)!, want)).toBeLessThan(1e-6),
    );
  });
});

describe("clip_grad_norm_", () => {
  it.each(fixture.clip.map((c) => [c.maxNorm, c] as const))("max norm %d", (_, c) => {
    const grads = new Map(c.grads.map((g, i) => [`g${i}`, Float64Array.from(g)]));
    expect(clipGradNorm(grads, c.maxNorm)).toBeCloseTo(c.norm, 14);
    c.clipped.forEach((want, i) => expect(maxDiff(grads.get(`g${i}`)!, want)).toBeLessThan(1e-15));
  });
});

describe("learning-rate schedules", () => {
  it.each(fixture.schedules.map((s) => [s.schedule.kind, s] as const))("%s", (_, s) => {
    s.rates.forEach((want, step) =>
      expect(learningRate(s.lr, step, { schedule: s.schedule })).toBeCloseTo(want, 14),
    );
  });

  it("warms up linearly", () => {
    const rates = [0, 1, 2, 3, 4].map((t) =>
      learningRate(0.1, t, { schedule: { kind: "constant" }, warmup: 4 }),
    );
    expect(rates.map((r) => Number(r.toFixed(6)))).toEqual([0.025, 0.05, 0.075, 0.1, 0.1]);
  });
});
