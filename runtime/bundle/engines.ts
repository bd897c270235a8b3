/**
 * One engine per backend behind one small interface, so a bundle model runs the same way
 * everywhere: the WebGPU and CPU executors run a plan; the reference engine evaluates the
 * IR graph with runtime/reference/interpreter.ts (float64). Each engine takes the weights
 * once, and may carry values from one run to the next (a stream's recurrent states): on the
 * device for WebGPU, in the executor's buffers for the CPU, in host tensors for the reference.
 */
import { CpuPlanExecutor } from "../cpu/executor.ts";
import type { LoadedGraph } from "../ir/serialise.ts";
import { evaluate } from "../reference/interpreter.ts";
import { fromStored } from "../reference/stored.ts";
import { InterpreterError, tensor, type Tensor } from "../reference/tensor.ts";
import { PlanExecutor } from "../webgpu/executor.ts";
import type { HostArray } from "../webgpu/plan-io.ts";
import type { Plan } from "../webgpu/plan.ts";
import type { Tensor as StoredTensor } from "../weights/safetensors.ts";
import { BUNDLE_CODES, BundleError } from "./errors.ts";

export type BackendName = "webgpu" | "cpu" | "reference";

export interface EngineOutput {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array;
}

export interface Engine {
  run(inputs: Readonly<Record<string, HostArray>>): Promise<Record<string, EngineOutput>>;
  /** Zeros the carried inputs. */
  resetCarried(): void;
  destroy(): void;
}

/** Carried values: input name → the output copied into it after every run. */
export type Carry = Readonly<Record<string, string>>;

function f32Params(weights: ReadonlyMap<string, StoredTensor>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of weights)
    out[name] = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array);
  return out;
}

/** Only the params the plan has (a step plan may read fewer than the whole model). */
function paramsOf(plan: Plan, weights: ReadonlyMap<string, StoredTensor>) {
  const all = f32Params(weights);
  return Object.fromEntries(Object.keys(plan.params).map((name) => [name, all[name]!]));
}

export async function webgpuEngine(
  device: GPUDevice,
  plan: Plan,
  weights: ReadonlyMap<string, StoredTensor>,
  carry: Carry = {},
  label = "rnnc bundle",
): Promise<Engine> {
  const executor = await PlanExecutor.create(device, plan, { carry, label });
  executor.setParams(paramsOf(plan, weights));
  return executor;
}

export function cpuEngine(
  plan: Plan,
  weights: ReadonlyMap<string, StoredTensor>,
  carry: Carry = {},
): Engine {
  const executor = CpuPlanExecutor.create(plan, { carry });
  executor.setParams(paramsOf(plan, weights));
  return executor;
}

/**
 * The reference engine. Its inputs were admitted against the manifest, which the graph agrees
 * with (load.ts), so a graph that fails to evaluate is a broken file: RNN4504 naming `path`.
 */
export function referenceEngine(
  graph: LoadedGraph,
  weights: ReadonlyMap<string, StoredTensor>,
  carry: Carry = {},
  path = "graph.json",
): Engine {
  const params: Record<string, Tensor> = {};
  for (const name of graph.params.keys()) params[name] = fromStored(weights.get(name)!);
  const zeros = () =>
    Object.fromEntries(
      Object.keys(carry).map((name) => {
        const node = graph.inputs.get(name)!;
        return [name, tensor(node.dtype, node.shape)];
      }),
    );
  let carried: Record<string, Tensor> = zeros();
  return {
    run(inputs) {
      const given: Record<string, Tensor> = { ...carried };
      for (const [name, data] of Object.entries(inputs)) {
        const node = graph.inputs.get(name);
        if (node) given[name] = tensor(node.dtype, node.shape, data);
      }
      try {
        const out = evaluate(graph, { inputs: given, params });
        carried = Object.fromEntries(Object.entries(carry).map(([i, o]) => [i, out[o]!]));
        return Promise.resolve(out as Record<string, EngineOutput>);
      } catch (e) {
        if (e instanceof InterpreterError)
          return Promise.reject(
            new BundleError(
              BUNDLE_CODES.corruptFile,
              `${path}: the graph does not evaluate (${e.message})`,
            ),
          );
        return Promise.reject(e as Error);
      }
    },
    resetCarried() {
      carried = zeros();
    },
    destroy() {},
  };
}
