/**
 * Helpers for the CPU executor's tests: run a graph's naive plan on the CPU, and build whole
 * models' unrolled graphs and feeds as test/codegen/wgsl/models.test.ts does (its `prepare`).
 * Comparison with the reference reuses test/codegen/wgsl/support.ts.
 */
import { readFileSync } from "node:fs";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { planGraph, type PlannableGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { CpuPlanExecutor } from "../../../runtime/cpu/executor.ts";
import { fromStored } from "../../../runtime/reference/run-model.ts";
import { tensor, type Tensor } from "../../../runtime/reference/tensor.ts";
import type { HostArray, OutputTensor } from "../../../runtime/webgpu/plan-io.ts";
import type { Tensor as StoredTensor } from "../../../runtime/weights/safetensors.ts";
import { hostArray, type Feeds } from "../../codegen/wgsl/support.ts";
import { checkOk } from "../../support/check.ts";
import { randomWeights, seededRandom } from "../../support/random-weights.ts";

export function hostRecord(map: Record<string, Tensor> | undefined): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  for (const [name, t] of Object.entries(map ?? {})) out[name] = hostArray(t);
  return out;
}

/** Plans `graph` and runs it once on the CPU. */
export function runOnCpu(graph: PlannableGraph, feeds: Feeds): Record<string, OutputTensor> {
  const executor = CpuPlanExecutor.create(planGraph(graph));
  return executor.runSync(hostRecord(feeds.inputs), hostRecord(feeds.params));
}

export interface ModelRun {
  readonly model: CheckedModel;
  readonly weights: ReadonlyMap<string, StoredTensor>;
  readonly batch: number;
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly lengths?: Readonly<Record<string, readonly number[]>>;
  readonly mode: "infer" | "train";
  readonly seed?: number;
}

/** The unrolled graph and its feeds, as runReference builds them. */
export function prepare(run: ModelRun) {
  const steps: Record<string, number> = {};
  const inputs: Record<string, Tensor> = {};
  for (const [name, t] of run.inputs) inputs[name] = t;
  for (const input of run.model.inputs) {
    const given = run.inputs.get(input.name);
    if (!given || !input.type.time) continue;
    const axis = input.type.time;
    steps[axis] = given.shape[1]!;
    const lengths = run.lengths?.[axis] ?? Array<number>(run.batch).fill(steps[axis]);
    inputs[`lengths.${axis}`] = tensor("int", [run.batch], lengths);
  }
  const graph = compileModel(run.model, {
    batch: run.batch,
    steps,
    mode: run.mode,
    seed: run.seed ?? 0,
    initialStates: new Set([...run.inputs.keys()].filter((n) => n.includes(".initial_state."))),
  });
  const params: Record<string, Tensor> = {};
  for (const p of run.model.params) params[p.name] = fromStored(run.weights.get(p.name)!);
  const feeds: Feeds = { inputs, params };
  return { graph, feeds };
}

/** The textbook LSTM's graph and feeds as models.test.ts (WebGPU) times it. */
export function textbookRun() {
  const source = readFileSync(new URL("../../../examples/textbook.rnn", import.meta.url), "utf8");
  const model = checkOk(source).models[0]!;
  const random = seededRandom(5);
  const [batch, steps] = [4, 20];
  const x = tensor(
    "float",
    [batch, steps, 10],
    Array.from({ length: batch * steps * 10 }, () => random() * 2 - 1),
  );
  return prepare({
    model,
    weights: randomWeights(model.params, 4, 0.09),
    batch,
    inputs: new Map([["x", x]]),
    lengths: { T: [20, 13, 1, 7] },
    mode: "infer",
  });
}
