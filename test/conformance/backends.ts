/**
 * The backends of the conformance suite, behind one small interface: `run(prepared)` plans a
 * case and runs it — the CPU executor (runtime/cpu) on the scan form (codegen/js planCpu:
 * a generated kernel per recurrence, forward and backward), WebGPU (runtime/webgpu) on the
 * unrolled graph (the naive schedule) and on the scan form (the fused schedule). The oracle
 * is the reference interpreter in float32 on the unrolled graph.
 *
 * `describeBackends` declares the same tests once per backend: "cpu" always; "webgpu" (the
 * naive schedule) and "webgpu-fused" (the fused schedule, planned from the scan form) through
 * describeWebGpu (skipped without an adapter, a failure under CI=true).
 */
import { describe } from "vitest";
import { planCpu } from "../../compiler/codegen/js/plan-cpu.ts";
import { planGraph, type PlannableGraph } from "../../compiler/codegen/wgsl/plan-graph.ts";
import { scheduleWebGpu } from "../../compiler/codegen/wgsl/schedule.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { CpuPlanExecutor } from "../../runtime/cpu/executor.ts";
import type { EvaluableGraph } from "../../runtime/reference/interpreter.ts";
import type { Tensor } from "../../runtime/reference/tensor.ts";
import { PlanExecutor } from "../../runtime/webgpu/executor.ts";
import type { Plan } from "../../runtime/webgpu/plan.ts";
import type { OutputTensor } from "../../runtime/webgpu/plan-io.ts";
import { hostRecord, runOnReference, type Feeds } from "../codegen/wgsl/support.ts";
import { describeWebGpu } from "../support/webgpu.ts";

export type { Feeds };

export type BackendName = "cpu" | "webgpu" | "webgpu-fused";

/** What a backend runs: the unrolled graph, and the scan form where the case has one. */
export interface Runnable {
  readonly graph: Graph;
  readonly scanForm?: Graph;
  readonly feeds: Feeds;
}

export interface Backend {
  readonly name: BackendName;
  run(prepared: Runnable): Promise<Record<string, OutputTensor>>;
}

/** The oracle: the reference interpreter, float32. */
export const reference: (graph: EvaluableGraph, feeds: Feeds) => Record<string, Tensor> =
  runOnReference;

/** One plan per graph, shared by the backends. */
const plans = new WeakMap<PlannableGraph, Plan>();
/** The CPU's and the fused WebGPU plans of the same scan form differ: a cache each. */
const cpuPlans = new WeakMap<Graph, Plan>();
const fusedPlans = new WeakMap<Graph, Plan>();

function planOf(graph: PlannableGraph): Plan {
  let plan = plans.get(graph);
  if (!plan) plans.set(graph, (plan = planGraph(graph)));
  return plan;
}

/** The CPU backend's plan: generated kernels per recurrence, planned from the scan form. */
function cpuPlanOf(prepared: Runnable): Plan {
  const source = prepared.scanForm ?? prepared.graph;
  let plan = cpuPlans.get(source);
  if (!plan) cpuPlans.set(source, (plan = planCpu(source)));
  return plan;
}

export const cpuBackend: Backend = {
  name: "cpu",
  run: (prepared) =>
    CpuPlanExecutor.create(cpuPlanOf(prepared)).run(
      hostRecord(prepared.feeds.inputs),
      hostRecord(prepared.feeds.params),
    ),
};

/** Kinds of schedule the fused backend ran, for its summary. */
export const fusedKinds = { fused: 0, naive: [] as string[] };

function fusedPlanOf(prepared: Runnable): Plan {
  const source = prepared.scanForm ?? prepared.graph;
  let plan = fusedPlans.get(source);
  if (!plan) {
    const schedule = scheduleWebGpu(source);
    if (schedule.kind === "fused") fusedKinds.fused++;
    else fusedKinds.naive.push(schedule.reason ?? "");
    fusedPlans.set(source, (plan = schedule.plan));
  }
  return plan;
}

/** WebGPU with the naive schedule (`fused` false) or the fused one. */
export function webGpuBackend(device: GPUDevice, fused = false): Backend {
  return {
    name: fused ? "webgpu-fused" : "webgpu",
    async run(prepared) {
      const plan = fused ? fusedPlanOf(prepared) : planOf(prepared.graph);
      const executor = await PlanExecutor.create(device, plan);
      try {
        const { feeds } = prepared;
        return await executor.run(hostRecord(feeds.inputs), hostRecord(feeds.params));
      } finally {
        executor.destroy();
      }
    },
  };
}

/** Declares `body`'s tests once per backend; `backend()` is valid inside tests. */
export function describeBackends(
  name: string,
  body: (backend: () => Backend, kind: BackendName) => void,
): void {
  describe(`${name} (cpu)`, () => body(() => cpuBackend, "cpu"));
  describeWebGpu(`${name} (webgpu, fused schedule)`, (gpu) => {
    let backend: Backend | undefined;
    body(() => (backend ??= webGpuBackend(gpu().device, true)), "webgpu-fused");
  });
  describeWebGpu(`${name} (webgpu)`, (gpu) => {
    let backend: Backend | undefined;
    body(() => (backend ??= webGpuBackend(gpu().device)), "webgpu");
  });
}
