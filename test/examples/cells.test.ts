import { describe, expect, it } from "vitest";
import { CELLS, compareCells, loadNames } from "../../examples/cells/compare.ts";

// A short version of examples/cells: every cell, one epoch on a small slice. It checks the
// pipeline end to end (data, training, bundle, held-out predictions), not the metric.
describe("examples/cells", () => {
  it("reads names from both lists, each on exactly one", () => {
    const names = loadNames();
    expect(names.length).toBeGreaterThan(7000);
    const female = names.filter((n) => n.female).length;
    expect(female).toBeGreaterThan(3000);
    expect(names.length - female).toBeGreaterThan(3000);
    expect(names.every((n) => n.chars.every((c) => c >= 3 && c <= 28))).toBe(true);
  });

  it("trains every cell, loads each trained bundle and scores the held-out names", async () => {
    const r = await compareCells({
      epochs: 1,
      batch: 32,
      lr: 0.005,
      seed: 1,
      cells: [...CELLS],
      names: 200,
      backend: "cpu",
      log: () => {},
    });
    expect(r.train).toBe(160);
    expect(r.test).toBe(40);
    expect(r.cells.map((c) => c.cell)).toEqual([...CELLS]);
    for (const c of r.cells) {
      expect(c.accuracy).toBeGreaterThanOrEqual(0);
      expect(c.accuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(c.finalTrainLoss)).toBe(true);
      expect(c.params).toBeGreaterThan(0);
      expect(c.bundleDifference).toBeLessThan(1e-5);
    }
    expect(r.majority).toBeGreaterThan(0);
    expect(r.lastLetter).toBeGreaterThan(0);
  }, 120_000);
});
