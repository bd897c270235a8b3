/**
 * Training engines: for each batch shape (batch size, padded steps) the model is compiled
 * once in training mode, in scan form, differentiated (compiler/autodiff: a backward scan per
 * recurrence) and cached; each step runs loss and gradients — on the reference interpreter
 * (exact, the oracle) or on the CPU backend's kernels (float32, one generated kernel per
 * recurrence, forward and backward).
 */
import type { CheckedModel } from "../check/model.ts";
import { withGradients } from "../autodiff/reverse.ts";
import type { Graph } from "../ir/graph.ts";
import { planCpu } from "../codegen/js/plan-cpu.ts";
import { compileModel } from "../pipeline.ts";
import { CpuPlanExecutor } from "../../runtime/cpu/executor.ts";
import type { HostArray } from "../../runtime/webgpu/plan-io.ts";
import type { FloatArray } from "../../runtime/train/optimizers.ts";
import type {
  Batch,
  CarriedStates,
  GradientEngine,
  Gradients,
} from "../../runtime/train/trainer.ts";
import { PlanExecutor } from "../../runtime/webgpu/executor.ts";
import { scheduleWebGpu } from "../codegen/wgsl/schedule.ts";
import { evaluate } from "../../runtime/reference/interpreter.ts";
import { tensor, type Precision, type Tensor } from "../../runtime/reference/tensor.ts";

type Outputs = Record<string, { shape: readonly number[]; data: ArrayLike<number> }>;

/**
 * Something that runs a graph many times: the reference interpreter, or a compiled plan on
 * the CPU (synchronous) or on WebGPU (asynchronous).
 */
export type GraphRunner = (
  graph: Graph,
) => (feeds: {
  inputs: Record<string, Tensor>;
  params: Record<string, Tensor>;
}) => Outputs | Promise<Outputs>;

/** `f` of a value now, or of a promised value later. */
function then<T, R>(value: T | Promise<T>, f: (v: T) => R): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** WebGPU: the graph planned once (fused kernels, forward and backward), run many times. */
export function webGpuRunner(device: GPUDevice): GraphRunner {
  return (graph) => {
    const plan = scheduleWebGpu(graph).plan;
    let executor: Promise<PlanExecutor> | undefined;
    // Set up on first use: a plan never run (an evaluation graph) costs no pipelines.
    return async (feeds) => {
      executor ??= PlanExecutor.create(device, plan);
      return (await executor).run(hostRecord(feeds.inputs), hostRecord(feeds.params));
    };
  };
}

function hostRecord(r: Record<string, Tensor>): Record<string, HostArray> {
  const host = (t: Tensor): HostArray =>
    t.dtype === "int" ? Int32Array.from(t.data) : Float32Array.from(t.data);
  return Object.fromEntries(Object.entries(r).map(([n, t]) => [n, host(t)]));
}

/** The reference interpreter, in float64 or float32. */
export function referenceRunner(precision: Precision = "float64"): GraphRunner {
  return (graph) => (feeds) => evaluate(graph, feeds, { precision });
}

/**
 * The CPU backend: the graph planned once into kernels (float32), run many times. `exact`
 * rounds every product and partial sum of a matmul as the reference does (bit-equal to it in
 * float32, slower); by default matmuls accumulate in float64 and round once.
 */
export function cpuRunnerWith(options: { exact?: boolean } = {}): GraphRunner {
  return (graph) => {
    const executor = CpuPlanExecutor.create(planCpu(graph, options));
    return (feeds) => executor.runSync(hostRecord(feeds.inputs), hostRecord(feeds.params));
  };
}

export const cpuRunner: GraphRunner = cpuRunnerWith();

interface Compiled {
  /** Evaluation mode: teacher forcing and losses, no regularisation noise. */
  readonly evaluation: ReturnType<GraphRunner>;
  /** Training mode, differentiated. */
  readonly backward: ReturnType<GraphRunner>;
  readonly usesRng: boolean;
}

/**
 * Training through any graph runner: each batch shape is compiled once (training graph
 * differentiated, evaluation graph), handed to the runner, and reused.
 */
export class TrainingEngine implements GradientEngine {
  private readonly compiled = new Map<string, Compiled>();

  constructor(
    private readonly model: CheckedModel,
    private readonly runner: GraphRunner,
    private readonly options: { seed?: number } = {},
  ) {
    if (model.losses.length === 0) throw new Error(`model '${model.name}' has no loss to train`);
  }

  private shapeOf(batch: Batch): { batch: number; steps: Record<string, number> } {
    const steps: Record<string, number> = {};
    let size = 0;
    for (const input of this.model.inputs) {
      const given = batch.inputs.get(input.name);
      if (!given) throw new Error(`the batch lacks input '${input.name}'`);
      size = given.shape[0]!;
      if (input.type.time) steps[input.type.time] = given.shape[1]!;
    }
    return { batch: size, steps };
  }

  private graphs(batch: Batch): Compiled {
    const shape = this.shapeOf(batch);
    const initialStates = new Set(batch.states?.keys() ?? []);
    const key = JSON.stringify({ ...shape, states: [...initialStates].sort() });
    let compiled = this.compiled.get(key);
    if (!compiled) {
      const seed = this.options.seed ?? 0;
      // Scan form: each recurrence stays one scan, and its gradient one backward scan.
      const until = "hoist-input-projections";
      const training = compileModel(this.model, {
        ...shape,
        mode: "train",
        seed,
        initialStates,
        until,
      });
      compiled = {
        evaluation: this.runner(
          compileModel(this.model, { ...shape, mode: "evaluate", seed, initialStates, until }),
        ),
        backward: this.runner(withGradients(training, { loss: "loss" })),
        usesRng: training.inputs.has("rng.step"),
      };
      this.compiled.set(key, compiled);
    }
    return compiled;
  }

  private feeds(
    params: ReadonlyMap<string, FloatArray>,
    batch: Batch,
    rngStep: number | undefined,
  ) {
    const inputs: Record<string, Tensor> = {};
    for (const [name, t] of batch.inputs) inputs[name] = tensor(t.dtype, t.shape, t.data);
    const size = this.shapeOf(batch).batch;
    for (const [axis, lengths] of Object.entries(batch.lengths))
      inputs[`lengths.${axis}`] = tensor("int", [size], lengths);
    if (rngStep !== undefined) inputs["rng.step"] = tensor("int", [], [rngStep]);
    for (const [name, t] of batch.states ?? []) inputs[name] = tensor("float", t.shape, t.data);
    const shapes = new Map(this.model.params.map((p) => [p.name, p.shape]));
    const ps: Record<string, Tensor> = {};
    for (const [name, data] of params)
      ps[name] = { dtype: "float", shape: [...shapes.get(name)!], data };
    return { inputs, params: ps };
  }

  gradients(
    params: ReadonlyMap<string, FloatArray>,
    batch: Batch,
    rngStep: number,
  ): Gradients | Promise<Gradients> {
    const { backward, usesRng } = this.graphs(batch);
    return then(backward(this.feeds(params, batch, usesRng ? rngStep : undefined)), (out) => {
      const grads = new Map<string, FloatArray>();
      for (const name of params.keys())
        grads.set(name, Float64Array.from(out[`grad.${name}`]!.data));
      const states: CarriedStates = new Map();
      for (const [name, t] of Object.entries(out)) {
        if (name.includes(".final_state.")) {
          states.set(name.replace(".final_state.", ".initial_state."), {
            shape: t.shape,
            data: Float64Array.from(t.data),
          });
        }
      }
      return { loss: out.loss!.data[0]!, grads, states };
    });
  }

  loss(params: ReadonlyMap<string, FloatArray>, batch: Batch): number | Promise<number> {
    const out = this.graphs(batch).evaluation(this.feeds(params, batch, undefined));
    return then(out, (o) => o.loss!.data[0]!);
  }
}

/** Training on the reference interpreter (float64 by default): exact and slow. */
export class ReferenceEngine extends TrainingEngine {
  constructor(model: CheckedModel, options: { precision?: Precision; seed?: number } = {}) {
    super(model, referenceRunner(options.precision), { seed: options.seed });
  }

  // The interpreter answers at once.
  override gradients(
    params: ReadonlyMap<string, FloatArray>,
    batch: Batch,
    rngStep: number,
  ): Gradients {
    return super.gradients(params, batch, rngStep) as Gradients;
  }

  override loss(params: ReadonlyMap<string, FloatArray>, batch: Batch): number {
    return super.loss(params, batch) as number;
  }
}
