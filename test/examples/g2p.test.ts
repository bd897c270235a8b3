import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  loadLexicon,
  MAX_LETTERS,
  MAX_PHONES,
  nearestSpelling,
  runG2p,
  score,
  splitLexicon,
} from "../../examples/g2p/train.ts";

// A short version of examples/g2p: two updates on 200 words, 4 held-out words decoded by the
// trained bundles (greedy and beam search). It checks the pipeline end to end, not the metric.
describe("examples/g2p", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-g2p-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { entries, phonemes } = loadLexicon();

  it("reads CMUdict: words of letters, ARPAbet phonemes with stress, a fixed split", () => {
    expect(entries.length).toBeGreaterThan(110_000);
    expect(phonemes.slice(0, 3)).toEqual(["<pad>", "<bos>", "<eos>"]);
    expect(phonemes).toHaveLength(3 + 69);
    const abandon = entries.find((e) => e.word === "ABANDON")!;
    expect(abandon.phones.map((i) => phonemes[i]).join(" ")).toBe("AH0 B AE1 N D AH0 N");
    expect(abandon.letters[0]).toBe(1);
    expect(Math.max(...entries.map((e) => e.letters.length))).toBe(MAX_LETTERS);
    expect(Math.max(...entries.map((e) => e.phones.length))).toBe(MAX_PHONES);
    const a = splitLexicon(entries, 1000, 0);
    const b = splitLexicon(entries, 1000, 0);
    expect(a.test.map((e) => e.word)).toEqual(b.test.map((e) => e.word));
    const held = new Set(a.test.map((e) => e.word));
    expect(a.train.some((e) => held.has(e.word))).toBe(false);
    expect(a.train.length + a.test.length).toBe(entries.length);
  });

  it("scores WER and PER; the nearest-spelling baseline finds a training word", () => {
    const [x, y] = [entries[100]!, entries[200]!];
    const perfect = score([[...x.phones], [...y.phones]], [x, y]);
    expect(perfect).toEqual({ wer: 0, per: 0, werAny: 0 });
    const off = score([[...x.phones, 3], [...y.phones]], [x, y]);
    expect(off.wer).toBe(0.5);
    expect(off.per).toBeCloseTo(1 / (x.phones.length + y.phones.length));
    expect(nearestSpelling([x, y], [x.word])).toEqual([[...x.phones]]);
  });

  it("trains, writes the bundles and decodes held-out words greedily and with a beam", async () => {
    const r = await runG2p({
      spec: "small",
      steps: 2,
      minutes: 0,
      batch: 8,
      lr: 0.004,
      seed: 1,
      train: 200,
      heldOut: 4,
      evalBatch: 4,
      backend: "cpu",
      bundle: join(dir, "bundle"),
      log: () => {},
    });
    expect(r.updates).toBe(2);
    expect(r.trainWords).toBe(200);
    expect(r.testWords).toBe(4);
    // The trained bundles, loaded with only runtime/, decode as the model did in training.
    for (const search of ["greedy", "beam"])
      expect(existsSync(join(dir, "bundle", search, "manifest.json"))).toBe(true);
    expect(r.bundleDifference.greedy).toBeLessThan(1e-3);
    expect(r.bundleDifference.beam).toBeLessThan(1e-3);
    for (const s of [r.greedy, r.beam, r.baseline]) {
      expect(s.wer).toBeGreaterThanOrEqual(0);
      expect(s.wer).toBeLessThanOrEqual(1);
      expect(Number.isFinite(s.per)).toBe(true);
    }
    expect(r.examples).toHaveLength(4);
  }, 120_000);
});
