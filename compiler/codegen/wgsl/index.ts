/**
 * WGSL code generation: the fused schedule (fused/: persistent recurrence kernels, fused
 * elementwise work, tiled matmuls, planned from the scan form) and the naive schedule, one
 * dispatch per IR op of an unrolled graph (plan-graph.ts) from a small catalogue of kernel
 * families, the fallback for what the fused planner does not cover. schedule.ts chooses.
 */
import { castU32, compareI32, mapF32, selectU32, zipF32, zipI32 } from "./elementwise.ts";
import { matmulF32 } from "./matmul.ts";
import {
  copyU32,
  gatherU32,
  iotaU32,
  sampleF32,
  stridedU32,
  takeAlongU32,
  uniformF32,
} from "./movement.ts";
import {
  argmaxF32,
  argmaxI32,
  layernormF32,
  reduceF32,
  reduceI32,
  softmaxF32,
  topkF32,
  topkI32,
} from "./reduce.ts";

export { planGraph, PlanGraphError, type PlannableGraph } from "./plan-graph.ts";
export { describeSchedule, describeShaders } from "./describe.ts";
export { scheduleWebGpu, type WebGpuSchedule } from "./schedule.ts";
export { planFused } from "./fused/plan-fused.ts";

/** Every shader the naive schedule can emit (a plan holds the ones its graph needs). */
export const NAIVE_KERNELS = [
  mapF32,
  zipF32,
  zipI32,
  compareI32,
  selectU32,
  castU32,
  matmulF32,
  reduceF32,
  reduceI32,
  argmaxF32,
  argmaxI32,
  topkF32,
  topkI32,
  softmaxF32,
  layernormF32,
  copyU32,
  stridedU32,
  gatherU32,
  takeAlongU32,
  iotaU32,
  uniformF32,
  sampleF32,
] as const;
