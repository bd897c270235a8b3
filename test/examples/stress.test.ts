import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadWords, MAX_T, PHONEMES, runStress, splitWords } from "../../examples/stress/train.ts";

// A short version of examples/stress: a few updates on a small slice of CMUdict. It checks
// the pipeline end to end (data, split, buckets, training, bundle, scores), not the metric.
describe("examples/stress", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-stress-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads CMUdict's first pronunciations as phoneme ids and vowel stresses", () => {
    const words = loadWords();
    expect(words.length).toBeGreaterThan(100_000);
    // ABANDON is AH0 B AE1 N D AH0 N in CMUdict.
    const word = words.find((w) => w.word === "ABANDON")!;
    expect(word.phonemes.map((p) => PHONEMES[p - 1])).toEqual([
      "AH",
      "B",
      "AE",
      "N",
      "D",
      "AH",
      "N",
    ]);
    expect(word.stress).toEqual([0, -1, 1, -1, -1, 0, -1]);
    // Only the first pronunciation: ABS is EY1 B IY1 EH1 S, its alternate ABS(1) is dropped.
    const abs = words.filter((w) => w.word === "ABS");
    expect(abs.map((w) => w.stress)).toEqual([[1, -1, 1, 1, -1]]);
    expect(words.every((w) => w.phonemes.length <= MAX_T && /^[A-Z]+$/.test(w.word))).toBe(true);
    const { train, test } = splitWords(words, 1000, 100);
    const held = new Set(test.map((w) => w.word));
    expect(train.some((w) => held.has(w.word))).toBe(false);
    // The split does not depend on the training seed: the same words every time.
    expect(splitWords(words, 1000, 100).test.map((w) => w.word)).toEqual([...held]);
  });

  it("trains, writes the bundle and scores the held-out words through it", async () => {
    const r = await runStress({
      train: 64,
      test: 40,
      epochs: 1,
      batch: 16,
      lr: 0.005,
      seed: 1,
      backend: "cpu",
      bundle: join(dir, "bundle"),
      log: () => {},
    });
    // The trained bundle, loaded with only runtime/, predicts what training ended with.
    expect(existsSync(join(dir, "bundle", "manifest.json"))).toBe(true);
    expect(r.bundleDifference).toBeLessThan(1e-3);
    expect(r.trainWords).toBe(64);
    expect(r.testWords).toBe(40);
    expect(r.updates).toBeGreaterThanOrEqual(4);
    expect(r.testVowels).toBeGreaterThanOrEqual(40);
    expect(Number.isFinite(r.testLoss)).toBe(true);
    for (const s of [r.model, r.majority, r.context]) {
      expect(s.vowel).toBeGreaterThanOrEqual(0);
      expect(s.vowel).toBeLessThanOrEqual(1);
      expect(s.word).toBeLessThanOrEqual(s.vowel + 1e-9);
      expect(s.recall).toHaveLength(3);
    }
  });
});
