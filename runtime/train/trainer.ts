/**
 * The training loop's core: one optimisation step per batch (gradients, clipping by global
 * norm, a scheduled learning rate, an optimiser update), evaluation, and checkpoints that
 * restore a run exactly (parameters, optimiser moments, step number). How gradients are
 * computed is the engine's business (the reference interpreter today, compiled kernels
 * later), so this file needs nothing from the compiler.
 */
import type { Tensor as StoredTensor } from "../weights/safetensors.ts";
import { tensor as storedTensor } from "../weights/safetensors.ts";
import { clipGradNorm, Optimizer, type FloatArray, type OptimizerOptions } from "./optimizers.ts";
import { learningRate, type ScheduleOptions } from "./schedules.ts";

/** A batch: inputs by name (batch-major), each time axis's lengths. */
export interface Batch {
  readonly inputs: ReadonlyMap<
    string,
    { dtype: "float" | "int"; shape: readonly number[]; data: ArrayLike<number> }
  >;
  readonly lengths: Readonly<Record<string, readonly number[]>>;
  /**
   * Encoder initial states by input name (`enc.initial_state.l0.h`), e.g. carried from the
   * previous window in truncated backpropagation through time; zeros when absent.
   */
  readonly states?: ReadonlyMap<string, { shape: readonly number[]; data: ArrayLike<number> }>;
}

/** Encoder final states after a batch, named as the next batch's initial states. */
export type CarriedStates = Map<string, { shape: readonly number[]; data: Float64Array }>;

export interface Gradients {
  readonly loss: number;
  readonly grads: Map<string, FloatArray>;
  readonly states: CarriedStates;
}

/**
 * What computes losses and gradients. A synchronous engine (reference, CPU) serves both
 * `Trainer.step` and `stepAsync`; an asynchronous one (WebGPU) returns promises and serves
 * `stepAsync` only.
 */
export interface GradientEngine {
  /** The loss of a batch and its gradient for every parameter; `rngStep` draws dropout masks. */
  gradients(
    params: ReadonlyMap<string, FloatArray>,
    batch: Batch,
    rngStep: number,
  ): Gradients | Promise<Gradients>;
  /** The loss of a batch without regularisation noise (evaluation mode). */
  loss(params: ReadonlyMap<string, FloatArray>, batch: Batch): number | Promise<number>;
}

function now<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) {
    value.catch(() => undefined); // the work already started must not fail unobserved
    throw new Error("internal: this engine is asynchronous; use stepAsync / evaluateAsync");
  }
  return value;
}

export interface TrainerOptions {
  readonly optimizer: OptimizerOptions;
  readonly schedule?: ScheduleOptions;
  /** Clip gradients to this global L2 norm (clip_grad_norm_); none when absent. */
  readonly clipNorm?: number;
}

export interface StepReport {
  /** The encoders' final states (no gradient flows back through them). */
  readonly states: CarriedStates;
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
}

const STATE_PREFIX = "optimizer.";

/** The loss stopped being a number; the parameters are left as they were before the step. */
export class DivergedError extends Error {
  readonly code = "RNN4402";

  constructor(
    readonly loss: number,
    readonly step: number,
  ) {
    super(
      `the loss became ${loss} at step ${step + 1}: lower the learning rate (--lr) or clip gradients (--clip)`,
    );
  }
}

export class Trainer {
  private readonly optimizer: Optimizer;

  /**
   * `params` are updated in place; `shapes` gives each parameter's shape for checkpoints
   * (the engine and optimiser see flat arrays).
   */
  constructor(
    private readonly engine: GradientEngine,
    readonly params: Map<string, FloatArray>,
    private readonly shapes: ReadonlyMap<string, readonly number[]>,
    readonly options: TrainerOptions,
  ) {
    this.optimizer = new Optimizer(options.optimizer);
  }

  /** Optimiser steps taken so far. */
  get stepCount(): number {
    return this.optimizer.state.step;
  }

  step(batch: Batch): StepReport {
    const step = this.optimizer.state.step;
    return this.update(step, now(this.engine.gradients(this.params, batch, step)));
  }

  /** `step` for any engine, synchronous or not. */
  async stepAsync(batch: Batch): Promise<StepReport> {
    const step = this.optimizer.state.step;
    return this.update(step, await this.engine.gradients(this.params, batch, step));
  }

  private update(step: number, { loss, grads, states }: Gradients): StepReport {
    if (!Number.isFinite(loss)) throw new DivergedError(loss, step);
    let gradNorm = 0;
    if (this.options.clipNorm !== undefined) gradNorm = clipGradNorm(grads, this.options.clipNorm);
    else
      for (const g of grads.values()) for (let i = 0; i < g.length; i++) gradNorm += g[i]! * g[i]!;
    if (this.options.clipNorm === undefined) gradNorm = Math.sqrt(gradNorm);
    const lr = learningRate(
      this.options.optimizer.lr,
      step,
      this.options.schedule ?? { schedule: { kind: "constant" } },
    );
    this.optimizer.step(this.params, grads, lr);
    return { step: step + 1, loss, lr, gradNorm, states };
  }

  evaluate(batch: Batch): number {
    return now(this.engine.loss(this.params, batch));
  }

  evaluateAsync(batch: Batch): Promise<number> {
    return Promise.resolve(this.engine.loss(this.params, batch));
  }

  /** The parameters as tensors of their shapes: what a model loads. */
  weights(): Map<string, StoredTensor> {
    const dtype = [...this.params.values()][0] instanceof Float32Array ? "F32" : "F64";
    return new Map(
      [...this.params].map(([name, p]) => [
        name,
        storedTensor(dtype, this.shapes.get(name) ?? [p.length], p),
      ]),
    );
  }

  /** Parameters and optimiser state as tensors, with the step number in metadata. */
  checkpoint(): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> } {
    const dtype = [...this.params.values()][0] instanceof Float32Array ? "F32" : "F64";
    const tensors = this.weights();
    for (const [name, buffers] of this.optimizer.state.buffers) {
      buffers.forEach((b, i) =>
        tensors.set(`${STATE_PREFIX}${name}.${i}`, storedTensor(dtype, [b.length], b)),
      );
    }
    return {
      tensors,
      metadata: {
        step: String(this.optimizer.state.step),
        optimizer: JSON.stringify(this.options.optimizer),
      },
    };
  }

  /** Restores parameters and optimiser state written by `checkpoint`. */
  restore(
    tensors: ReadonlyMap<string, StoredTensor>,
    metadata: Readonly<Record<string, string>>,
  ): void {
    for (const [name, p] of this.params) {
      const t = tensors.get(name);
      if (!t || t.data.length !== p.length)
        throw new Error(`the checkpoint lacks parameter '${name}' of ${p.length} values`);
      p.set(Array.from(t.data as ArrayLike<number>));
    }
    this.optimizer.state.buffers.clear();
    for (const [key, t] of tensors) {
      if (!key.startsWith(STATE_PREFIX)) continue;
      const rest = key.slice(STATE_PREFIX.length);
      const dot = rest.lastIndexOf(".");
      const name = rest.slice(0, dot);
      const index = Number(rest.slice(dot + 1));
      const like = this.params.get(name);
      if (!like) continue;
      const list = this.optimizer.state.buffers.get(name) ?? [];
      const buffer = new (like.constructor as { new (n: number): FloatArray })(like.length);
      buffer.set(Array.from(t.data as ArrayLike<number>));
      list[index] = buffer;
      this.optimizer.state.buffers.set(name, list);
    }
    this.optimizer.state.step = Number(metadata.step ?? 0);
  }
}
