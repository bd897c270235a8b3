/**
 * What each backend of a bundle runs, built in one place per backend so that the schedule of
 * one can change without touching the rest of the bundle writer:
 *
 * - `webgpuPlan`: the WebGPU execution plan, planned from the scan-form graph (fused kernels,
 *   or the naive schedule where a recurrence does not qualify: codegen/wgsl/schedule.ts);
 * - `cpuPlan`: the plan of the CPU executor (runtime/cpu), planned from the scan form: one
 *   generated JavaScript kernel per recurrence, the naive schedule elsewhere (codegen/js);
 * - `referenceGraph`: the IR for the reference interpreter, in scan form (the graph after
 *   hoisting, before unrolling): it evaluates the same as the unrolled graph and its size
 *   does not grow with the step limit.
 *
 * `limits` are the batch and padded steps the plans are built for; `initialStates` makes the
 * encoders' initial states inputs (the one-step plans of streaming).
 */
import type { CheckedModel } from "../check/model.ts";
import { planCpu } from "../codegen/js/plan-cpu.ts";
import { planGraph } from "../codegen/wgsl/plan-graph.ts";
import { scheduleWebGpu } from "../codegen/wgsl/schedule.ts";
import type { Graph } from "../ir/graph.ts";
import { compileModel } from "../pipeline.ts";
import type { Plan } from "../../runtime/webgpu/plan.ts";

export interface BundleLimits {
  readonly batch: number;
  readonly steps: Readonly<Record<string, number>>;
}

export interface PlanOptions {
  /** Seed of sampling decoders. */
  readonly seed?: number;
  readonly initialStates?: ReadonlySet<string>;
}

function lowered(
  model: CheckedModel,
  limits: BundleLimits,
  options: PlanOptions,
  until?: string,
): Graph {
  return compileModel(model, {
    batch: limits.batch,
    steps: limits.steps,
    mode: "infer",
    seed: options.seed,
    initialStates: options.initialStates,
    until,
  });
}

/** One dispatch per op of the unrolled graph. */
function naivePlan(model: CheckedModel, limits: BundleLimits, options: PlanOptions): Plan {
  return planGraph(lowered(model, limits, options));
}

/** The WebGPU plan of `model` at `limits`: fused where every recurrence qualifies. */
export function webgpuPlan(
  model: CheckedModel,
  limits: BundleLimits,
  options: PlanOptions = {},
): Plan {
  return scheduleWebGpu(lowered(model, limits, options, "hoist-input-projections")).plan;
}

/** The CPU executor's plan of `model` at `limits`: a generated kernel per recurrence. */
export function cpuPlan(
  model: CheckedModel,
  limits: BundleLimits,
  options: PlanOptions = {},
): Plan {
  return planCpu(lowered(model, limits, options, "hoist-input-projections"));
}

/** The reference interpreter's graph of `model` at `limits` (scan form). */
export function referenceGraph(
  model: CheckedModel,
  limits: BundleLimits,
  options: PlanOptions = {},
): Graph {
  return lowered(model, limits, options, "hoist-input-projections");
}
