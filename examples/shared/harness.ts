/**
 * What every example shares: loading its spec, a trainer on a chosen backend, a seeded random
 * stream, the parameter count, and the trained bundle — written as `rnnc compile` writes it,
 * loaded back with only `runtime/` (BundleModel) and compared with the in-process model on a
 * few held-out inputs. Each example keeps only its data, its metric and its baseline.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkParsed, prelude } from "../../compiler/check/index.ts";
import type { CheckedModel } from "../../compiler/check/model.ts";
import { bundleFiles, writeBundleDir } from "../../compiler/bundle/write.ts";
import { runReference } from "../../compiler/driver/run-model.ts";
import {
  cpuRunner,
  ReferenceEngine,
  TrainingEngine,
  webGpuRunner,
} from "../../compiler/driver/training-engine.ts";
import { parse } from "../../dsl/parse.ts";
import { SourceFile } from "../../dsl/source.ts";
import { BundleModel, type Inputs, type Outputs } from "../../runtime/bundle/model.ts";
import { flattenNested } from "../../runtime/bundle/nested.ts";
import { tensor } from "../../runtime/reference/tensor.ts";
import { sampleUniform } from "../../runtime/reference/rng.ts";
import type { OptimizerOptions } from "../../runtime/train/optimizers.ts";
import type { ScheduleOptions } from "../../runtime/train/schedules.ts";
import type { Tensor as StoredTensor } from "../../runtime/weights/safetensors.ts";
import { Trainer } from "../../runtime/train/trainer.ts";
import { initialWeights } from "../../runtime/weights/init.ts";
import { acquireDevice } from "../../runtime/webgpu/device.ts";

/** The repository root, for paths printed and read relative to it. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Model `name` of the spec at `path` (relative to the repository root), checked. */
export function loadModel(path: string, name: string): CheckedModel {
  const source = new SourceFile(path, readFileSync(`${ROOT}${path}`, "utf8"));
  const checked = checkParsed(parse(source), prelude());
  if (!checked.ok) throw new Error(`${path} does not check`);
  const model = checked.models.find((m) => m.name === name);
  if (!model) throw new Error(`${path} has no model '${name}'`);
  return model;
}

export type TrainBackend = "cpu" | "webgpu" | "reference";

export function trainBackend(name: string): TrainBackend {
  if (name === "cpu" || name === "webgpu" || name === "reference") return name;
  throw new Error(`--backend must be cpu, webgpu or reference, not '${name}'`);
}

export interface TrainerSetup {
  readonly backend: TrainBackend;
  readonly seed: number;
  readonly optimizer: OptimizerOptions;
  readonly schedule?: ScheduleOptions;
  readonly clipNorm?: number;
}

export interface ExampleTrainer {
  readonly trainer: Trainer;
  /** Frees the WebGPU device, if the trainer holds one. */
  release(): void;
}

/** A trainer for `model` from its seeded initial weights, on `setup.backend`. */
export async function makeTrainer(
  model: CheckedModel,
  setup: TrainerSetup,
): Promise<ExampleTrainer> {
  const params = new Map(
    [...initialWeights(model.params, setup.seed)].map(([n, t]) => [
      n,
      Float32Array.from(t.data as ArrayLike<number>),
    ]),
  );
  let release = () => {};
  let engine: TrainingEngine;
  if (setup.backend === "webgpu") {
    const { device } = await acquireDevice({ label: `rnnc ${model.name} training` });
    release = () => device.destroy();
    engine = new TrainingEngine(model, webGpuRunner(device), { seed: setup.seed });
  } else if (setup.backend === "reference")
    engine = new ReferenceEngine(model, { precision: "float32", seed: setup.seed });
  else engine = new TrainingEngine(model, cpuRunner, { seed: setup.seed });
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  const trainer = new Trainer(engine, params, shapes, {
    optimizer: setup.optimizer,
    schedule: setup.schedule,
    clipNorm: setup.clipNorm,
  });
  return { trainer, release };
}

/** A seeded stream of uniform numbers in [0, 1) (rnnc's counter-based generator). */
export function uniformStream(seed: number): () => number {
  let i = 0;
  return () => sampleUniform(seed, 0, i++);
}

/** A seeded shuffle (Fisher-Yates over `random`). */
export function shuffleWith<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function parameterCount(model: CheckedModel): number {
  return model.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

export interface BundleCheck {
  /** The trained bundle, loaded with only runtime/ (the caller destroys it). */
  readonly model: BundleModel;
  /** The largest |bundle − in-process| over every output of the sample inputs. */
  readonly difference: number;
}

/**
 * Writes the trained bundle of `model` to `dir` (atomically, as `rnnc compile` does), loads
 * it with only runtime/ on `backend`, runs `sample` (nested-array inputs, ragged sequences
 * allowed) and compares every output with the reference interpreter in float32 given the
 * same weights, i.e. the predictions of the model as training ended.
 */
export async function writeAndCheckBundle(
  model: CheckedModel,
  options: {
    readonly dir: string;
    readonly source: string;
    readonly weights: ReadonlyMap<string, StoredTensor>;
    readonly limits: { batch: number; steps: Record<string, number> };
    readonly sample: Inputs;
    readonly backend?: "cpu" | "webgpu";
    readonly seed?: number;
  },
): Promise<BundleCheck> {
  const files = await bundleFiles(model, {
    limits: options.limits,
    weights: options.weights,
    source: options.source,
    seed: options.seed,
  });
  writeBundleDir(options.dir, files);
  const loaded = await BundleModel.load(options.dir, { backend: options.backend ?? "cpu" });
  const fromBundle: Outputs = await loaded.run(options.sample);

  const inputs = new Map<string, ReturnType<typeof tensor>>();
  const lengths: Record<string, number[]> = {};
  for (const input of model.inputs) {
    const value = options.sample[input.name];
    if (value === undefined) continue;
    if (typeof value === "object" && "shape" in value) {
      // Flat data with its shape: every sequence runs the full padded length.
      if (input.type.time)
        lengths[input.type.time] ??= new Array<number>(value.shape[0]!).fill(value.shape[1]!);
      inputs.set(input.name, tensor(input.type.dtype, value.shape, Array.from(value.data)));
      continue;
    }
    // Nested arrays, ragged sequences padded with zeros, as the bundle runtime reads them.
    const flat = flattenNested(input.name, input.type, value);
    if (input.type.time && flat.lengths) lengths[input.type.time] ??= flat.lengths;
    inputs.set(input.name, tensor(input.type.dtype, flat.shape, flat.values));
  }
  const reference = runReference(
    model,
    { inputs, lengths, weights: options.weights },
    { precision: "float32", seed: options.seed },
  );
  let difference = 0;
  for (const [name, out] of Object.entries(fromBundle)) {
    const expected = reference.outputs[name]!.data;
    out.data.forEach((v, i) => (difference = Math.max(difference, Math.abs(v - expected[i]!))));
  }
  return { model: loaded, difference };
}
