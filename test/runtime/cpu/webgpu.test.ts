// The CPU and WebGPU executors on the same plans agree (where a WebGPU adapter exists): every
// per-op case, ints and data movement exactly, floats within the case's tolerance. Whole
// models run on both against the reference in the conformance suite (test/conformance).
import { expect, it } from "vitest";
import { planGraph, type PlannableGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { CpuPlanExecutor } from "../../../runtime/cpu/executor.ts";
import type { Tensor } from "../../../runtime/reference/tensor.ts";
import { PlanExecutor } from "../../../runtime/webgpu/executor.ts";
import type { OutputTensor } from "../../../runtime/webgpu/plan-io.ts";
import { describeWebGpu } from "../../support/webgpu.ts";
import {
  expectClose,
  FLOAT_TOLERANCE,
  hostRecord,
  type Feeds,
  type Tolerance,
} from "../../codegen/wgsl/support.ts";
import { cases, TESTED } from "../../support/op-cases.ts";

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
});
