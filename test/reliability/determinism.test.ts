/**
 * Determinism and concurrency (CI's short form of `npm run test:reliability`): training with
 * one seed twice on the CPU backend gives bit-identical losses, weights, checkpoint and
 * bundle (another seed does not); compiling a spec twice gives byte-identical bundles; runs
 * in flight together on the CPU backend equal the same runs one by one.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { checkParsed, prelude } from "../../compiler/check/index.ts";
import { parse } from "../../dsl/parse.ts";
import { compileBundle } from "../runtime/bundle/support.ts";
import { randomModel } from "../support/random-models.ts";
import fc from "fast-check";
import {
  compileTwice,
  concurrentRuns,
  CONCURRENT_SPEC,
  trainTwice,
} from "./support/determinism.ts";
import { programCorpus } from "./support/programs.ts";

describe("determinism", () => {
  it("trains bit-identically from one seed (CPU), and differently from another", async () => {
    const { same, otherSeed, losses } = await trainTwice(7);
    expect(same).toEqual([]);
    expect(otherSeed).toContain("weights.safetensors");
    expect(losses.every(Number.isFinite)).toBe(true);
  });

  it("compiles a model of each topology twice into byte-identical bundles", async () => {
    const stdlib = prelude();
    const all = programCorpus().models.flatMap((text) => checkParsed(parse(text), stdlib).models);
    // The smallest model of each topology (compiling is what is tested, not the sizes).
    const size = (m: (typeof all)[number]) => m.params.reduce((s, p) => s + p.shape.length, 0);
    const byTopology = new Map<string, (typeof all)[number]>();
    for (const m of all) {
      const key = [...m.topologies].sort().join(" ");
      const seen = byTopology.get(key);
      if (!seen || size(m) < size(seen)) byTopology.set(key, m);
    }
    const generated = fc
      .sample(randomModel, { seed: 5, numRuns: 1 })
      .flatMap((m) => checkParsed(parse(m.source), stdlib).models);
    const models = [...byTopology.values(), ...generated];
    expect(models.length).toBeGreaterThanOrEqual(5);
    expect(Object.fromEntries(await compileTwice(models))).toEqual({});
  });
});

describe("concurrency on the CPU backend", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await compileBundle(CONCURRENT_SPEC, { batch: 4, steps: { T: 8 } });
  });

  it("200 runs in flight on two models, and interleaved streams, equal sequential calls", async () => {
    const result = await concurrentRuns(dir, "cpu", 200, { streams: 4, steps: 4 });
    expect(result).toEqual({ runs: 200, mismatches: 0, streamMismatches: 0, streamSteps: 16 });
  });
});
