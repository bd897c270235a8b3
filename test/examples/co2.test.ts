import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HORIZON, loadSeries, runForecast } from "../../examples/co2/forecast.ts";

// A short version of examples/co2: a few updates on the last ten years. It checks the
// pipeline end to end (data, windows, training, recursive forecast, plot), not the metric.
describe("examples/co2", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-co2-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a gap-free monthly series from vega-datasets", () => {
    const series = loadSeries();
    expect(series.length).toBeGreaterThan(700);
    for (let i = 1; i < series.length; i++) expect(series[i]!.index - series[i - 1]!.index).toBe(1);
    expect(series.every((m) => Number.isFinite(m.ppm) && m.ppm > 300)).toBe(true);
  });

  it("trains, forecasts the held-out months recursively and writes the plot", async () => {
    const out = join(dir, "forecast.svg");
    const r = await runForecast({
      updates: 5,
      batch: 8,
      lr: 0.005,
      seed: 1,
      months: 120,
      out,
      bundle: join(dir, "bundle"),
      log: () => {},
    });
    // The trained bundle, loaded with only runtime/, predicts what training ended with.
    expect(existsSync(join(dir, "bundle", "manifest.json"))).toBe(true);
    expect(r.bundleDifference).toBeLessThan(1e-3);
    expect(r.trainMonths).toBe(120 - HORIZON);
    expect(r.windows).toBe(120 - HORIZON - 24);
    for (const list of [r.forecast, r.truth, r.naive]) {
      expect(list).toHaveLength(HORIZON);
      expect(list.every(Number.isFinite)).toBe(true);
    }
    expect(Number.isFinite(r.modelMae)).toBe(true);
    expect(Number.isFinite(r.naiveMae)).toBe(true);
    expect(existsSync(out)).toBe(true);
    const svg = readFileSync(out, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("GRU forecast");
  });
});
