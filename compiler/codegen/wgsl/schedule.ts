/**
 * The WebGPU schedule of a graph in scan form: the fused plan (fused/plan-fused.ts: a
 * persistent kernel per recurrence, fused elementwise work, tiled matmuls) when every scan
 * qualifies, else the naive plan of the unrolled graph (one dispatch per op), which runs
 * anything. `RNNC_DEBUG=schedule|wgsl` prints the chosen plan.
 */
import type { Graph } from "../../ir/graph.ts";
import { unroll } from "../../passes/unroll.ts";
import type { Plan } from "../../../runtime/webgpu/plan.ts";
import { debugPlan } from "./describe.ts";
import { planFused } from "./fused/plan-fused.ts";
import { planGraph } from "./plan-graph.ts";

export interface WebGpuSchedule {
  readonly plan: Plan;
  /** "fused", or why the naive schedule was used. */
  readonly kind: "fused" | "naive";
  readonly reason?: string;
}

export function scheduleWebGpu(scanForm: Graph): WebGpuSchedule {
  const fused = planFused(scanForm);
  if (typeof fused !== "string") {
    debugPlan(fused);
    return { plan: fused, kind: "fused" };
  }
  return { plan: planGraph(unroll(scanForm)), kind: "naive", reason: fused };
}
