/**
 * Training on the reference interpreter: for each batch shape (batch size, padded steps) the
 * model is compiled once in training mode, differentiated (compiler/autodiff) and cached;
 * each step evaluates loss and gradients. Slow but exact: the oracle the compiled training
 * kernels will be compared with.
 */
import type { CheckedModel } from "../../compiler/check/model.ts";
import { withGradients } from "../../compiler/autodiff/reverse.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { compileModel } from "../../compiler/pipeline.ts";
import type { FloatArray } from "../train/optimizers.ts";
import type { Batch, CarriedStates, GradientEngine } from "../train/trainer.ts";
import { evaluate } from "./interpreter.ts";
import { tensor, type Precision, type Tensor } from "./tensor.ts";

interface Compiled {
  /** Evaluation mode: teacher forcing and losses, no regularisation noise. */
  readonly evaluation: Graph;
  /** Training mode, differentiated. */
  readonly backward: Graph;
}

export class ReferenceEngine implements GradientEngine {
  private readonly compiled = new Map<string, Compiled>();

  constructor(
    private readonly model: CheckedModel,
    private readonly options: { precision?: Precision; seed?: number } = {},
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
      const training = compileModel(this.model, { ...shape, mode: "train", seed, initialStates });
      compiled = {
        evaluation: compileModel(this.model, { ...shape, mode: "evaluate", seed, initialStates }),
        backward: withGradients(training, { loss: "loss" }),
      };
      this.compiled.set(key, compiled);
    }
    return compiled;
  }

  private feeds(
    graph: Graph,
    params: ReadonlyMap<string, FloatArray>,
    batch: Batch,
    rngStep: number,
  ) {
    const inputs: Record<string, Tensor> = {};
    for (const [name, t] of batch.inputs) inputs[name] = tensor(t.dtype, t.shape, t.data);
    const size = this.shapeOf(batch).batch;
    for (const [axis, lengths] of Object.entries(batch.lengths))
      inputs[`lengths.${axis}`] = tensor("int", [size], lengths);
    if (graph.inputs.has("rng.step")) inputs["rng.step"] = tensor("int", [], [rngStep]);
    for (const [name, t] of batch.states ?? []) inputs[name] = tensor("float", t.shape, t.data);
    const shapes = new Map(this.model.params.map((p) => [p.name, p.shape]));
    const ps: Record<string, Tensor> = {};
    for (const [name, data] of params)
      ps[name] = { dtype: "float", shape: [...shapes.get(name)!], data };
    return { inputs, params: ps };
  }

  gradients(params: ReadonlyMap<string, FloatArray>, batch: Batch, rngStep: number) {
    const { backward } = this.graphs(batch);
    const out = evaluate(backward, this.feeds(backward, params, batch, rngStep), {
      precision: this.options.precision,
    });
    const grads = new Map<string, FloatArray>();
    for (const name of params.keys()) grads.set(name, Float64Array.from(out[`grad.${name}`]!.data));
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
  }

  loss(params: ReadonlyMap<string, FloatArray>, batch: Batch): number {
    const { evaluation } = this.graphs(batch);
    const feeds = this.feeds(evaluation, params, batch, 0);
    return evaluate(evaluation, feeds, { precision: this.options.precision }).loss!.data[0]!;
  }
}
