// rnnc compile SPEC -o DIR and rnnc run DIR: a bundle written atomically, run on each backend
// with the same outputs; bad input and bad flags give one clear message and exit 1 or 2.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";
import { webGpuAvailable } from "../../runtime/webgpu/device.ts";

async function rnnc(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const work = mkdtempSync(join(tmpdir(), "rnnc-bundle-cli-"));
const dir = join(work, "co2");
const input = join(work, "in.json");

beforeAll(async () => {
  const r = await rnnc("compile", "examples/co2.rnn", "-o", dir, "--batch", "3", "--steps", "T=6");
  expect(r.err).toMatch(/wrote .*co2: bundle of model co2_forecast \(limits: batch 3, T 6\)/);
  expect(r.code).toBe(0);
  const seq = (n: number) =>
    Array.from({ length: n }, (_, t) => [0.1 * t, Math.sin(t), Math.cos(t)]);
  writeFileSync(input, JSON.stringify({ inputs: { history: [seq(6), seq(2)] } }));
});

describe("rnnc compile", () => {
  it("writes the bundle's files and records the limits", () => {
    expect(readdirSync(dir).sort()).toEqual([
      "co2_forecast.d.ts",
      "co2_forecast.js",
      "co2_forecast.ts",
      "graph.json",
      "graph.step.json",
      "kernels.wgsl",
      "manifest.json",
      "plan.cpu.json",
      "plan.step.cpu.json",
      "plan.step.webgpu.json",
      "plan.webgpu.json",
      "weights.safetensors",
    ]);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ format: "rnnc-bundle", version: 1, model: "co2_forecast" });
    expect(manifest.limits).toEqual({ batch: 3, steps: { T: 6 } });
  });

  it("refuses steps for an axis the model lacks (exit 2)", async () => {
    const r = await rnnc("compile", "examples/co2.rnn", "-o", join(work, "x"), "--steps", "S=4");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--steps S: model co2_forecast has no input along S \(its time axes: T\)/,
    );
  });
});

describe("rnnc run DIR", () => {
  it("prints the same outputs on the CPU and the reference (and WebGPU when there is one)", async () => {
    const backends = ["cpu", "reference", ...((await webGpuAvailable()) ? ["webgpu"] : [])];
    const results: number[][][] = [];
    for (const backend of backends) {
      const r = await rnnc("run", dir, "--input", input, "--backend", backend);
      expect(r.code, r.err).toBe(0);
      const json = JSON.parse(r.out);
      expect(json.backend).toBe(backend);
      results.push(json.outputs.prediction as number[][]);
    }
    expect(results[0]).toHaveLength(2);
    for (const other of results.slice(1))
      other
        .flat()
        .forEach((v, i) => expect(Math.abs(v - results[0]!.flat()[i]!)).toBeLessThan(1e-5));
  });

  it("bad input: one clear RNN4xxx line, exit 1, no stack trace", async () => {
    const bad = join(work, "bad.json");
    writeFileSync(bad, JSON.stringify({ inputs: { histroy: [[[1, 2, 3]]] } }));
    const r = await rnnc("run", dir, "--input", bad, "--backend", "cpu");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error RNN4505: input 'histroy': the model has no input of this name/);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it("bad flags: exit 2", async () => {
    const r = await rnnc("run", dir, "--input", input, "--backend", "tpu");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--backend must be webgpu, cpu or reference/);
  });
});
