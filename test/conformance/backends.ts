/**
 * The backends of the conformance suite, behind one small interface: `run(graph, feeds)` plans
 * the unrolled graph (compiler/codegen/wgsl planGraph, the naive schedule) and runs the plan
 * on the CPU executor (runtime/cpu) or a WebGPU device (runtime/webgpu). The oracle is the
 * reference interpreter in float32.
 *
 * `describeBackends` declares the same tests once per backend: "cpu" always, "webgpu" through
 * describeWebGpu (skipped without an adapter, a failure under CI=true).
 */
import { describe } from "vitest";
import { planGraph, type PlannableGraph } from "../../compiler/codegen/wgsl/plan-graph.ts";
import { CpuPlanExecutor } from "../../runtime/cpu/executor.ts";
import type { EvaluableGraph } from "../../runtime/reference/interpreter.ts";
import type { Tensor } from "../../runtime/reference/tensor.ts";
import { PlanExecutor } from "../../runtime/webgpu/executor.ts";
import type { Plan } from "../../runtime/webgpu/plan.ts";
import type { OutputTensor } from "../../runtime/webgpu/plan-io.ts";
import { hostRecord, runOnReference, type Feeds } from "../codegen/wgsl/support.ts";
import { describeWebGpu } from "../support/webgpu.ts";

export type { Feeds };

export type BackendName = "cpu" | "webgpu";

export interface Backend {
  readonly name: BackendName;
  run(graph: PlannableGraph, feeds: Feeds): Promise<Record<string, OutputTensor>>;
}

/** The oracle: the reference interpreter, float32. */
export const reference: (graph: EvaluableGraph, feeds: Feeds) => Record<string, Tensor> =
  runOnReference;

/** One plan per graph, shared by the backends. */
const plans = new WeakMap<PlannableGraph, Plan>();

function planOf(graph: PlannableGraph): Plan {
  let plan = plans.get(graph);
  if (!plan) plans.set(graph, (plan = planGraph(graph)));
  return plan;
}

export const cpuBackend: Backend = {
  name: "cpu",
  run: (graph, feeds) =>
    CpuPlanExecutor.create(planOf(graph)).run(hostRecord(feeds.inputs), hostRecord(feeds.params)),
};

export function webGpuBackend(device: GPUDevice): Backend {
  return {
    name: "webgpu",
    async run(graph, feeds) {
      const executor = await PlanExecutor.create(device, planOf(graph));
      try {
        return await executor.run(hostRecord(feeds.inputs), hostRecord(feeds.params));
      } finally {
        executor.destroy();
      }
    },
  };
}

/** Declares `body`'s tests once per backend; `backend()` is valid inside tests. */
export function describeBackends(name: string, body: (backend: () => Backend) => void): void {
  describe(`${name} (cpu)`, () => body(() => cpuBackend));
  describeWebGpu(`${name} (webgpu)`, (gpu) => {
    let backend: Backend | undefined;
    body(() => (backend ??= webGpuBackend(gpu().device)));
  });
}
