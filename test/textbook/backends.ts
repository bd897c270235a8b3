/**
 * Running a textbook model on each backend from the same compiled model: the reference
 * interpreter (float32 rounding) on the unrolled graph, the CPU backend's plan (planCpu over
 * the scan form: a generated kernel per recurrence), and WebGPU's fused schedule
 * (scheduleWebGpu over the scan form). Inputs are batch-major; lengths are given per time axis.
 */
import { planCpu } from "../../compiler/codegen/js/plan-cpu.ts";
import { scheduleWebGpu } from "../../compiler/codegen/wgsl/schedule.ts";
import type { CheckedModel } from "../../compiler/check/model.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { compileModel } from "../../compiler/pipeline.ts";
import { fromStored } from "../../compiler/driver/run-model.ts";
import { CpuPlanExecutor } from "../../runtime/cpu/executor.ts";
import { evaluate } from "../../runtime/reference/interpreter.ts";
import { tensor, type Tensor } from "../../runtime/reference/tensor.ts";
import type { Tensor as StoredTensor } from "../../runtime/weights/safetensors.ts";
import { PlanExecutor } from "../../runtime/webgpu/executor.ts";
import type { HostArray } from "../../runtime/webgpu/plan-io.ts";

export type BackendName = "reference" | "cpu" | "webgpu";

export interface Result {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

export interface Compiled {
  readonly graph: Graph;
  readonly scanForm: Graph;
  readonly params: Record<string, Tensor>;
}

export interface CompileOptions {
  readonly batch: number;
  readonly steps: Record<string, number>;
  readonly mode: "infer" | "train" | "evaluate";
  readonly seed?: number;
}

export function compile(
  model: CheckedModel,
  weights: ReadonlyMap<string, StoredTensor>,
  options: CompileOptions,
): Compiled {
  const graph = compileModel(model, { ...options, verify: true });
  const scanForm = compileModel(model, { ...options, until: "hoist-input-projections" });
  const params: Record<string, Tensor> = {};
  for (const p of model.params) params[p.name] = fromStored(weights.get(p.name)!);
  return { graph, scanForm, params };
}

/** The graph's inputs: the given ones, each time axis's lengths, and `rng.step` if it draws. */
export function feedsOf(
  compiled: Compiled,
  inputs: ReadonlyMap<string, Tensor>,
  lengths: Readonly<Record<string, readonly number[]>>,
  rngStep = 0,
): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [name, t] of inputs) if (compiled.graph.inputs.has(name)) feeds[name] = t;
  for (const [axis, list] of Object.entries(lengths))
    if (compiled.graph.inputs.has(`lengths.${axis}`))
      feeds[`lengths.${axis}`] = tensor("int", [list.length], list);
  if (compiled.graph.inputs.has("rng.step")) feeds["rng.step"] = tensor("int", [], [rngStep]);
  return feeds;
}

function host(map: Record<string, Tensor>): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  for (const [name, t] of Object.entries(map))
    out[name] = t.dtype === "int" ? Int32Array.from(t.data) : Float32Array.from(t.data);
  return out;
}

/** A runner of one compiled model on one backend, reusable across runs. */
export interface Runner {
  run(feeds: Record<string, Tensor>): Promise<Record<string, Result>>;
  destroy(): void;
}

export async function runner(
  backend: BackendName,
  compiled: Compiled,
  device?: GPUDevice,
): Promise<Runner> {
  const params = host(compiled.params);
  switch (backend) {
    case "reference":
      return {
        run: (feeds) =>
          Promise.resolve(
            evaluate(
              compiled.graph,
              { inputs: feeds, params: compiled.params },
              {
                precision: "float32",
              },
            ),
          ),
        destroy: () => {},
      };
    case "cpu": {
      const executor = CpuPlanExecutor.create(planCpu(compiled.scanForm));
      return { run: (feeds) => executor.run(host(feeds), params), destroy: () => {} };
    }
    case "webgpu": {
      if (!device) throw new Error("webgpu needs a device");
      const executor = await PlanExecutor.create(device, scheduleWebGpu(compiled.scanForm).plan);
      return {
        run: (feeds) => executor.run(host(feeds), params),
        destroy: () => executor.destroy(),
      };
    }
  }
}
