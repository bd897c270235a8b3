import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { addingBatch, runAdding } from "../../examples/adding/train.ts";
import { uniformStream } from "../../examples/shared/harness.ts";

// A short version of examples/adding: a few updates of each cell on short sequences. It
// checks the pipeline end to end, not the metric.
describe("examples/adding", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-adding-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("marks two steps, one in each half, and sums their values", () => {
    const batch = addingBatch(4, 10, uniformStream(3));
    const x = batch.inputs.get("x")!.data;
    const y = batch.inputs.get("y")!.data;
    for (let b = 0; b < 4; b++) {
      const marked = [...Array(10).keys()].filter((t) => x[(b * 10 + t) * 2 + 1] === 1);
      expect(marked).toHaveLength(2);
      expect(marked[0]!).toBeLessThan(5);
      expect(marked[1]!).toBeGreaterThanOrEqual(5);
      const sum = marked.reduce((s, t) => s + x[(b * 10 + t) * 2]!, 0);
      expect(y[b]).toBeCloseTo(sum, 6);
    }
  });

  it("trains lstm, gru and rnn a few updates and scores held-out sequences", async () => {
    const results = await runAdding({
      updates: 3,
      batch: 8,
      steps: 12,
      seed: 1,
      lr: 0.01,
      backend: "cpu",
      models: ["lstm", "gru", "rnn"],
      testSize: 100,
      bundle: dir,
      log: () => {},
    });
    expect(results.map((r) => r.cell)).toEqual(["lstm", "gru", "rnn"]);
    for (const r of results) {
      expect(Number.isFinite(r.testMse)).toBe(true);
      expect(r.params).toBeGreaterThan(0);
      expect(r.bundleDifference).toBeLessThan(1e-5);
    }
  });
});
