// The CPU and WebGPU executors on the same plans agree (where a WebGPU adapter exists):
// every per-op case (ints and data movement exactly, floats within the case's tolerance) and
// every PyTorch fixture (max abs difference <= 1e-4), and the textbook LSTM timed on the CPU,
// the WebGPU device and the reference interpreter side by side.
import { expect, it } from "vitest";
import { planGraph, type PlannableGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { CpuPlanExecutor } from "../../../runtime/cpu/executor.ts";
import type { Tensor } from "../../../runtime/reference/tensor.ts";
import { PlanExecutor } from "../../../runtime/webgpu/executor.ts";
import type { OutputTensor } from "../../../runtime/webgpu/plan-io.ts";
import { fixtureNames, loadFixture } from "../../fixtures/fixtures.ts";
import { checkOk } from "../../support/check.ts";
import { describeWebGpu } from "../../support/webgpu.ts";
import {
  expectClose,
  FLOAT_TOLERANCE,
  runOnReference,
  type Feeds,
  type Tolerance,
} from "../../codegen/wgsl/support.ts";
import { fromStored } from "../../../runtime/reference/run-model.ts";
import { cases, TESTED } from "../../support/op-cases.ts";
import { hostRecord, prepare, textbookRun } from "./support.ts";

/** An executor's output as the reference tensor that expectClose compares against. */
function asTensor(o: OutputTensor): Tensor {
  return { dtype: o.data instanceof Int32Array ? "int" : "float", shape: o.shape, data: o.data };
}

async function expectAgree(
  device: GPUDevice,
  label: string,
  graph: PlannableGraph,
  feeds: Feeds,
  tol: Tolerance,
): Promise<void> {
  const plan = planGraph(graph);
  const inputs = hostRecord(feeds.inputs);
  const params = hostRecord(feeds.params);
  const cpu = CpuPlanExecutor.create(plan).runSync(inputs, params);
  const gpu = await PlanExecutor.create(device, plan);
  try {
    const got = await gpu.run(inputs, params);
    expect(Object.keys(got).sort()).toEqual(Object.keys(cpu).sort());
    for (const [name, c] of Object.entries(cpu))
      expectClose(`${label} (${name}): WebGPU vs CPU`, got[name], asTensor(c), tol);
  } finally {
    gpu.destroy();
  }
}

describeWebGpu("CPU and WebGPU executors agree on the same plan", (gpu) => {
  it.each(TESTED)("%s", async (op) => {
    for (const c of cases(op))
      await expectAgree(gpu().device, c.label, c.graph, c.feeds, c.tol ?? FLOAT_TOLERANCE);
  });

  it.each(fixtureNames())("PyTorch fixture %s", async (name) => {
    const fixture = loadFixture(name);
    const model = checkOk(fixture.json.spec).models[0]!;
    const inputs = new Map([...fixture.inputs].map(([n, t]) => [n, fromStored(t)] as const));
    const mode = model.inputs.some((i) => i.training && inputs.has(i.name)) ? "train" : "infer";
    const batch = [...inputs.values()][0]!.shape[0]!;
    const { graph, feeds } = prepare({
      model,
      weights: fixture.weights,
      batch,
      inputs,
      lengths: fixture.json.lengths,
      mode,
    });
    await expectAgree(gpu().device, name, graph, feeds, { rtol: 0, atol: 1e-4 });
  });

  it("times the textbook LSTM (batch 4, 20 steps) on the CPU, WebGPU and the reference", async () => {
    const { graph, feeds } = textbookRun();
    const plan = planGraph(graph);
    const inputs = hostRecord(feeds.inputs);
    const params = hostRecord(feeds.params);
    const median = async (run: () => unknown) => {
      await run();
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await run();
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[2]!;
    };
    const cpu = CpuPlanExecutor.create(plan);
    const device = await PlanExecutor.create(gpu().device, plan);
    try {
      const cpuMs = await median(() => cpu.runSync(inputs, params));
      const gpuMs = await median(() => device.run(inputs, params));
      const referenceMs = await median(() => runOnReference(graph, feeds));
      const want = runOnReference(graph, feeds);
      const [a, b] = [cpu.runSync(inputs, params), await device.run(inputs, params)];
      for (const [name, w] of Object.entries(want)) {
        expectClose(`textbook CPU: ${name}`, a[name], w, { rtol: 0, atol: 1e-4 });
        expectClose(`textbook WebGPU: ${name}`, b[name], w, { rtol: 0, atol: 1e-4 });
      }
      console.log(
        `textbook LSTM, batch 4, 20 steps, ${plan.dispatches.length} dispatches, median of 5 runs: ` +
          `CPU ${cpuMs.toFixed(1)} ms, WebGPU (${gpu().adapterInfo.description || gpu().adapterInfo.device}) ` +
          `${gpuMs.toFixed(1)} ms, reference interpreter (float32) ${referenceMs.toFixed(1)} ms`,
      );
    } finally {
      device.destroy();
    }
  });
});
