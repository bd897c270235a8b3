import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fitLogistic } from "../../examples/spam/baseline.ts";
import { batchOf, epochBatches, loadSplit } from "../../examples/spam/data.ts";
import { runSpam } from "../../examples/spam/train.ts";
import { uniformStream } from "../../examples/shared/harness.ts";

// A short version of examples/spam: a few updates on a small slice of the corpus. It checks
// the pipeline end to end (split, vocabulary, baseline, training, bundle), not the metric.
describe("examples/spam", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-spam-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("splits each class 80/20 with a vocabulary from the training split only", () => {
    const split = loadSplit({ heldOut: 0.2, maxTokens: 32, vocab: 500, minCount: 2, seed: 1 });
    const spam = (list: typeof split.train) => list.filter((e) => e.label === 1).length;
    expect(split.train.length + split.test.length).toBe(6046);
    expect(spam(split.train) + spam(split.test)).toBe(1896);
    expect(spam(split.test)).toBe(Math.round(1896 * 0.2));
    expect(split.test.length - spam(split.test)).toBe(Math.round(4150 * 0.2));
    expect(split.words).toHaveLength(500);
    for (const e of [...split.train, ...split.test]) {
      expect(e.tokens.length).toBeLessThanOrEqual(32);
      expect(e.tokens.every((id) => id >= 1 && id < 500)).toBe(true);
    }
    // The same seed gives the same split.
    const again = loadSplit({ heldOut: 0.2, maxTokens: 32, vocab: 500, minCount: 2, seed: 1 });
    expect(again.test.map((e) => e.tokens)).toEqual(split.test.map((e) => e.tokens));
    // Development runs split the training e-mails again and leave the held-out ones out.
    const dev = loadSplit({
      heldOut: 0.2,
      maxTokens: 32,
      vocab: 500,
      minCount: 2,
      seed: 1,
      development: true,
    });
    expect(dev.train.length + dev.test.length).toBe(split.train.length);
  });

  it("pads batches to a bucket and keeps each e-mail's length", () => {
    const split = loadSplit({
      heldOut: 0.2,
      maxTokens: 40,
      vocab: 300,
      minCount: 2,
      seed: 2,
      perClass: 40,
    });
    const batches = epochBatches(split.train, 8, uniformStream(3));
    expect(batches).toHaveLength(Math.floor(split.train.length / 8));
    const batch = batchOf(batches[0]!, 16, 40);
    const [size, steps] = batch.inputs.get("tokens")!.shape;
    expect(size).toBe(8);
    expect([16, 32, 40]).toContain(steps);
    expect(batch.lengths.T).toEqual(batches[0]!.map((e) => e.tokens.length));
  });

  it("fits the logistic-regression baseline", () => {
    const docs = [
      ...Array.from({ length: 20 }, (_, i) => ({ ids: [2, 3, 4 + (i % 3)], label: 1 as const })),
      ...Array.from({ length: 20 }, (_, i) => ({ ids: [5, 6, 7 + (i % 3)], label: 0 as const })),
    ];
    const fit = fitLogistic(docs, [0, 1e-3], {
      vocab: 10,
      epochs: 30,
      lr: 0.05,
      batch: 8,
      seed: 1,
      validShare: 0.25,
    });
    const [spam, ham] = fit.model.predict([{ ids: [2, 3] }, { ids: [5, 6] }]);
    expect(spam).toBeGreaterThan(0.5);
    expect(ham).toBeLessThan(0.5);
    expect(fit.tried).toHaveLength(2);
  });

  it("trains, writes the bundle and scores the held-out e-mails through it", async () => {
    const r = await runSpam({
      epochs: 1,
      batch: 8,
      lr: 0.003,
      maxTokens: 16,
      seed: 1,
      backend: "cpu",
      bundle: join(dir, "bundle"),
      perClass: 20,
      heldOut: 0.2,
      baselineEpochs: 2,
      log: () => {},
    });
    expect(existsSync(join(dir, "bundle", "manifest.json"))).toBe(true);
    // The trained bundle, loaded with only runtime/, predicts what training ended with.
    expect(r.bundleDifference).toBeLessThan(1e-4);
    expect(r.test).toEqual({ spam: 4, ham: 4 });
    expect(r.train).toEqual({ spam: 16, ham: 16 });
    expect(r.losses).toHaveLength(1);
    expect(Number.isFinite(r.losses[0]!)).toBe(true);
    for (const s of [r.model, r.baseline]) {
      expect(s.accuracy).toBeGreaterThanOrEqual(0);
      expect(s.accuracy).toBeLessThanOrEqual(1);
    }
    expect(r.majority.accuracy).toBe(0.5);
    expect(r.sample.every((s) => s.bundle >= 0 && s.bundle <= 1)).toBe(true);
  });
});
