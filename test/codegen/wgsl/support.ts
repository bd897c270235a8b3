/**
 * Helpers for the per-op WebGPU tests (and the CPU executor's): plan a graph, run it on the
 * device and on the reference interpreter in float32, and measure how far apart they are.
 * Whole models are the conformance suite's (test/conformance).
 */
import { expect } from "vitest";
import { planGraph, type PlannableGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { evaluate, type EvaluableGraph } from "../../../runtime/reference/interpreter.ts";
import type { Tensor } from "../../../runtime/reference/tensor.ts";
import {
  PlanExecutor,
  type HostArray,
  type OutputTensor,
} from "../../../runtime/webgpu/executor.ts";

export type Feeds = { inputs?: Record<string, Tensor>; params?: Record<string, Tensor> };

/** A reference tensor as the executor takes it (f32 for float, i32 for int). */
export function hostArray(t: Tensor): HostArray {
  return t.dtype === "int" ? Int32Array.from(t.data) : Float32Array.from(t.data);
}

export function hostRecord(map: Record<string, Tensor> | undefined): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  for (const [name, t] of Object.entries(map ?? {})) out[name] = hostArray(t);
  return out;
}

export interface GpuRun {
  readonly outputs: Record<string, OutputTensor>;
  readonly executor: PlanExecutor;
}

/** Plans `graph`, runs it once on `device`; the executor is destroyed unless `keep`. */
export async function runOnGpu(
  device: GPUDevice,
  graph: PlannableGraph,
  feeds: Feeds,
  keep = false,
): Promise<GpuRun> {
  const executor = await PlanExecutor.create(device, planGraph(graph));
  try {
    const outputs = await executor.run(hostRecord(feeds.inputs), hostRecord(feeds.params));
    return { outputs, executor };
  } finally {
    if (!keep) executor.destroy();
  }
}

export function runOnReference(graph: EvaluableGraph, feeds: Feeds): Record<string, Tensor> {
  return evaluate(graph, feeds, { precision: "float32" });
}

export interface Tolerance {
  /** Allowed |got - want| / |want|. */
  readonly rtol: number;
  /** Allowed |got - want| besides the relative part (for results at or near 0). */
  readonly atol: number;
}

/**
 * 1e-5 relative; the absolute floor only covers results below 1e-37: f32 subnormals, which
 * WGSL lets a device flush to zero, and values the reference reaches through float64
 * intermediates that overflow f32 (silu(-90) = -90 / (1 + e^90) is -7e-38 there, -0 here).
 */
export const FLOAT_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-37 };

export interface Difference {
  /** Elements beyond tolerance (or any difference at all for ints). */
  readonly bad: number;
  /** The largest |got - want| / |want| over the differences larger than atol. */
  readonly worst: number;
  readonly worstAt: number;
  /** The first element beyond tolerance (-1: none). */
  readonly firstBad: number;
  readonly maxAbs: number;
}

/** How `got` differs from `want`: NaN equals NaN, infinities must match, -0 equals 0. */
export function difference(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: Tolerance,
): Difference {
  let bad = 0;
  let firstBad = -1;
  let worst = 0;
  let worstAt = -1;
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g) || !Number.isFinite(w) || !Number.isFinite(g)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) {
        bad++;
        if (firstBad < 0) firstBad = i;
      }
      continue;
    }
    const d = Math.abs(g - w);
    maxAbs = Math.max(maxAbs, d);
    const rel = d <= tol.atol ? 0 : d / Math.abs(w);
    if (rel > worst) {
      worst = rel;
      worstAt = i;
    }
    if (d > tol.rtol * Math.abs(w) + tol.atol) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
  }
  return { bad, worst, worstAt, firstBad, maxAbs };
}

/** Expects the GPU's output to match the reference's: exactly for ints, within `tol` for floats. */
export function expectClose(
  name: string,
  got: OutputTensor | undefined,
  want: Tensor,
  tol: Tolerance = FLOAT_TOLERANCE,
): Difference {
  expect(got, `${name}: missing output`).toBeDefined();
  expect(got!.shape, `${name}: shape`).toEqual([...want.shape]);
  if (want.dtype === "int") {
    expect(got!.data).toBeInstanceOf(Int32Array);
    expect(Array.from(got!.data), `${name}: int values`).toEqual(Array.from(want.data));
    return { bad: 0, worst: 0, worstAt: -1, firstBad: -1, maxAbs: 0 };
  }
  expect(got!.data).toBeInstanceOf(Float32Array);
  const diff = difference(got!.data, want.data, tol);
  const at = diff.firstBad;
  expect(
    diff.bad,
    `${name}: ${diff.bad} of ${want.data.length} values off; the first at ${at}: got ${got!.data[at]}, want ${want.data[at]}`,
  ).toBe(0);
  return diff;
}
