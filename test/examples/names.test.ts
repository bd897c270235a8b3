import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  batchOf,
  decodeTokens,
  encodeName,
  EOS,
  fitNGram,
  loadNames,
  NGram,
  runNames,
  splitNames,
} from "../../examples/names/train.ts";
import { loadModel, makeTrainer } from "../../examples/shared/harness.ts";

// A short version of examples/names: one epoch on 64 names, 4 names generated through the
// bundle on the CPU backend. It checks the pipeline end to end, not the metric.
describe("examples/names", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-names-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads both lists, one entry per name and gender, split by spelling", () => {
    const names = loadNames();
    expect(names.filter((e) => e.gender === 0)).toHaveLength(3897);
    expect(names.filter((e) => e.gender === 1)).toHaveLength(4944);
    const { train, validation } = splitNames(names);
    expect(train.length + validation.length).toBe(names.length);
    const held = new Set(validation.map((e) => e.name));
    expect(train.some((e) => held.has(e.name))).toBe(false);
    expect(validation.length / names.length).toBeGreaterThan(0.08);
    expect(validation.length / names.length).toBeLessThan(0.12);
  });

  it("encodes a-z as 3..28, the hyphen as 29, and ends with the end token", () => {
    expect(encodeName("jo-ann")).toEqual([12, 17, 29, 3, 16, 16, EOS]);
    expect(decodeTokens([12, 17, 29, 3, 16, 16, EOS, EOS])).toEqual({
      name: "jo-ann",
      finished: true,
    });
    expect(decodeTokens([3, 4])).toEqual({ name: "ab", finished: false });
  });

  it("n-gram probabilities over the 28 continuations sum to 1", () => {
    const train = splitNames(loadNames()).train.slice(0, 500);
    const bigram = fitNGram(2, true, train);
    for (const context of ["0|1", "1|3", "0|29", "1|unseen"])
      expect(bigram.probabilities(context).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(new NGram(3, 0.1, false, train).probabilities("1,1")).toHaveLength(28);
  });

  it("evaluateAsync averages over counted tokens, so padding rows count for nothing", async () => {
    const model = loadModel("examples/names.rnn", "name_generator");
    const { trainer, release } = await makeTrainer(model, {
      backend: "cpu",
      seed: 3,
      optimizer: { kind: "adam", lr: 0.01 },
    });
    const a = { name: "ann", gender: 1 };
    const b = { name: "robert", gender: 0 };
    const loss = (rows: (typeof a)[]) => trainer.evaluateAsync(batchOf(rows, 2, 8));
    const [la, lb, lab, lpad] = [
      await loss([a, a]),
      await loss([b, b]),
      await loss([a, b]),
      await loss([a]),
    ];
    release();
    // Token-weighted: 4 tokens of "ann" + end, 7 of "robert" + end.
    expect(lab).toBeCloseTo((4 * la + 7 * lb) / 11, 5);
    expect(lpad).toBeCloseTo(la, 5);
  });

  it("trains, scores perplexity and generates through the bundle", async () => {
    const r = await runNames({
      epochs: 1,
      batch: 16,
      lr: 0.005,
      seed: 1,
      backend: "cpu",
      generate: 4,
      generator: "cpu",
      limit: 64,
      bundle: join(dir, "bundle"),
      log: () => {},
    });
    expect(existsSync(join(dir, "bundle", "manifest.json"))).toBe(true);
    expect(r.bundleDifference).toBeLessThan(1e-3);
    expect(r.trainNames).toBe(64);
    expect(r.curve).toHaveLength(1);
    expect(Number.isFinite(r.perplexity)).toBe(true);
    expect(r.perplexity).toBeGreaterThan(1);
    expect(r.baselines).toHaveLength(3);
    for (const b of r.baselines) expect(Number.isFinite(b.perplexity)).toBe(true);
    expect(r.generated).toHaveLength(4);
    expect(r.generated.map((g) => g.gender)).toEqual([0, 0, 1, 1]);
    for (const g of r.generated) expect(g.name).toMatch(/^[a-z?-]*$/); // "?": pad or bos, sampled by an untrained model
    expect(r.stats.count).toBe(4);
  });
});
