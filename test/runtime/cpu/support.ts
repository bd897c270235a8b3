/**
 * Helpers for the CPU executor's tests: run a graph's naive plan on the CPU. Comparison with
 * the reference reuses test/codegen/wgsl/support.ts; whole models are the conformance suite's
 * (test/conformance).
 */
import { planGraph, type PlannableGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { CpuPlanExecutor } from "../../../runtime/cpu/executor.ts";
import type { OutputTensor } from "../../../runtime/webgpu/plan-io.ts";
import { hostRecord, type Feeds } from "../../codegen/wgsl/support.ts";

/** Plans `graph` and runs it once on the CPU. */
export function runOnCpu(graph: PlannableGraph, feeds: Feeds): Record<string, OutputTensor> {
  const executor = CpuPlanExecutor.create(planGraph(graph));
  return executor.runSync(hostRecord(feeds.inputs), hostRecord(feeds.params));
}
