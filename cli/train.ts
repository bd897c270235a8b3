/**
 * `rnnc train SPEC --data FILE --out DIR`: trains a model on the CPU backend (default),
 * WebGPU or the reference interpreter, with a progress bar, validation after each epoch,
 * atomic checkpoints, `--resume` and a loss curve. DIR receives weights.safetensors (the
 * trained weights, loadable by `rnnc run`), checkpoint.safetensors (weights and optimiser
 * state), log.jsonl (one line per epoch), loss.svg, and bundle/ (the trained bundle: what
 * `rnnc compile` writes, with the trained weights).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import cliProgress from "cli-progress";
import type { CheckedModel } from "../compiler/check/index.ts";
import { vocabularies } from "../compiler/driver/run-model.ts";
import {
  cpuRunner,
  ReferenceEngine,
  TrainingEngine,
  webGpuRunner,
} from "../compiler/driver/training-engine.ts";
import { bundleFiles, writeBundleDir } from "../compiler/bundle/write.ts";
import { acquireDevice, NoWebGpuAdapterError } from "../runtime/webgpu/device.ts";
import {
  batches,
  DataError,
  windows,
  parseCsv,
  parseJsonLines,
  shuffled,
  type Example,
  type InputSpec,
} from "../runtime/train/data.ts";
import type { FloatArray, OptimizerOptions } from "../runtime/train/optimizers.ts";
import { lossPlot } from "../runtime/train/plot.ts";
import type { Schedule } from "../runtime/train/schedules.ts";
import { DivergedError, Trainer, type Batch } from "../runtime/train/trainer.ts";
import { initialWeights } from "../runtime/weights/init.ts";
import {
  readSafetensorsFileSync,
  writeSafetensorsFileSync,
} from "../runtime/weights/safetensors-file.ts";
import type { Output } from "./check.ts";
import { readText, UsageError, writeTextAtomic } from "./io.ts";
import { loadModel } from "./spec.ts";

export interface TrainOptions {
  readonly data: string;
  readonly out: string;
  readonly valid?: string;
  readonly validFraction?: string;
  readonly model?: string;
  readonly epochs?: string;
  readonly batch?: string;
  readonly optimizer?: string;
  readonly lr?: string;
  readonly momentum?: string;
  readonly weightDecay?: string;
  readonly clip?: string;
  readonly schedule?: string;
  readonly warmup?: string;
  readonly seed?: string;
  readonly precision?: string;
  readonly weights?: string;
  readonly resume?: boolean;
  readonly bptt?: string;
  readonly backend?: string;
}

function number(
  value: string | undefined,
  flag: string,
  fallback: number,
  check: (n: number) => boolean = () => true,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} got '${value}'`);
  return n;
}

function inputSpecs(model: CheckedModel): InputSpec[] {
  return model.inputs.map((i) => ({
    name: i.name,
    dtype: i.type.dtype,
    time: i.type.time,
    dims: i.type.dims,
  }));
}

/** A data file: CSV when its name ends in .csv, JSON Lines otherwise. */
function readExamples(
  path: string,
  inputs: readonly InputSpec[],
  vocabularies: ReadonlyMap<string, number>,
): Example[] {
  const text = readText(path);
  return path.toLowerCase().endsWith(".csv")
    ? parseCsv(text, inputs, path, vocabularies)
    : parseJsonLines(text, inputs, path, vocabularies);
}

interface EpochLog {
  readonly epoch: number;
  readonly train: number;
  readonly valid: number | undefined;
  readonly seconds: number;
}

const BACKEND_NAMES: Record<string, string> = {
  cpu: "CPU backend",
  webgpu: "WebGPU",
  reference: "reference interpreter",
};

/** The WebGPU device to train on; a clear usage error where there is no adapter. */
async function trainingDevice(): Promise<GPUDevice> {
  try {
    return (await acquireDevice({ label: "rnnc train" })).device;
  } catch (e) {
    if (e instanceof NoWebGpuAdapterError)
      throw new UsageError(`--backend webgpu: ${e.message.split("\n")[0]} (use --backend cpu)`);
    throw e;
  }
}

async function meanLoss(trainer: Trainer, list: readonly Batch[]): Promise<number> {
  let total = 0;
  let count = 0;
  for (const b of list) {
    const size = [...b.inputs.values()][0]!.shape[0]!;
    total += (await trainer.evaluateAsync(b)) * size;
    count += size;
  }
  return total / count;
}

export async function runTrain(spec: string, options: TrainOptions, io: Output): Promise<number> {
  const epochs = number(
    options.epochs,
    "--epochs needs a whole number >= 1,",
    10,
    (n) => Number.isInteger(n) && n >= 1,
  );
  const batchSize = number(
    options.batch,
    "--batch needs a whole number >= 1,",
    32,
    (n) => Number.isInteger(n) && n >= 1,
  );
  const lr = number(options.lr, "--lr needs a positive number,", 1e-3, (n) => n > 0);
  const seed = number(
    options.seed,
    "--seed needs a whole number,",
    0,
    (n) => Number.isInteger(n) && n >= 0,
  );
  const warmup = number(
    options.warmup,
    "--warmup needs a whole number,",
    0,
    (n) => Number.isInteger(n) && n >= 0,
  );
  const clip =
    options.clip === undefined
      ? undefined
      : number(options.clip, "--clip needs a positive number,", 1, (n) => n > 0);
  const validFraction = number(
    options.validFraction,
    "--valid-fraction needs a number in [0, 1),",
    0.1,
    (n) => n >= 0 && n < 1,
  );
  const weightDecay = number(
    options.weightDecay,
    "--weight-decay needs a number >= 0,",
    0,
    (n) => n >= 0,
  );
  const bptt =
    options.bptt === undefined
      ? undefined
      : number(
          options.bptt,
          "--bptt needs a whole number of steps >= 1,",
          1,
          (n) => Number.isInteger(n) && n >= 1,
        );
  const backend = options.backend ?? "cpu";
  if (backend !== "cpu" && backend !== "reference" && backend !== "webgpu")
    throw new UsageError(`--backend must be cpu, webgpu or reference, got '${backend}'`);
  const precision = options.precision ?? "float32";
  if (backend !== "reference" && precision !== "float32")
    throw new UsageError(
      `the ${backend} backend trains in float32; use --backend reference for float64`,
    );
  if (precision !== "float32" && precision !== "float64")
    throw new UsageError(`--precision must be float32 or float64, got '${precision}'`);
  const kind = options.optimizer ?? "adam";
  let optimizer: OptimizerOptions;
  if (kind === "sgd")
    optimizer = {
      kind,
      lr,
      momentum: number(
        options.momentum,
        "--momentum needs a number in [0, 1),",
        0,
        (n) => n >= 0 && n < 1,
      ),
      weightDecay,
    };
  else if (kind === "adam" || kind === "adamw")
    optimizer = {
      kind,
      lr,
      weightDecay: options.weightDecay === undefined && kind === "adamw" ? 0.01 : weightDecay,
    };
  else throw new UsageError(`--optimizer must be sgd, adam or adamw, got '${kind}'`);

  const model = loadModel(spec, options.model, io);
  if (!model) return 1;
  if (model.losses.length === 0) {
    io.err(
      `${spec}: model '${model.name}' has no loss: add one, e.g. loss mse(prediction, target)`,
    );
    return 1;
  }
  const inputs = inputSpecs(model);
  if (bptt !== undefined) {
    const perStep = model.losses.every((l) => {
      const type = model.types.get(l.prediction);
      return type?.kind === "tensor" && type.time !== undefined;
    });
    if (!perStep)
      throw new UsageError(
        "--bptt needs losses on every step (per-step predictions); this model has a loss on whole sequences",
      );
  }
  let train: Example[];
  let valid: Example[];
  try {
    const all = readExamples(options.data, inputs, vocabularies(model));
    if (options.valid) {
      train = all;
      valid = readExamples(options.valid, inputs, vocabularies(model));
    } else {
      // A fixed split: the same examples are held out on every run with this seed.
      const order = shuffled(all, seed);
      const held = Math.floor(order.length * validFraction);
      valid = order.slice(0, held);
      train = order.slice(held);
    }
  } catch (e) {
    if (e instanceof DataError) {
      io.err(`error ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }

  const Float = precision === "float32" ? Float32Array : Float64Array;
  const initial = options.weights
    ? readSafetensorsFileSync(options.weights).tensors
    : initialWeights(model.params, seed, "F64");
  const params = new Map<string, FloatArray>();
  for (const p of model.params) {
    const t = initial.get(p.name);
    if (!t) throw new UsageError(`${options.weights}: no tensor '${p.name}'`);
    params.set(p.name, Float.from(t.data as ArrayLike<number>));
  }
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const scheduleKind = options.schedule ?? "constant";
  let schedule: Schedule;
  if (scheduleKind === "constant") schedule = { kind: "constant" };
  else if (scheduleKind === "cosine") schedule = { kind: "cosine", total: epochs * stepsPerEpoch };
  else if (scheduleKind === "step")
    schedule = { kind: "step", stepSize: stepsPerEpoch, gamma: 0.5 };
  else throw new UsageError(`--schedule must be constant, step or cosine, got '${scheduleKind}'`);
  const engine =
    backend === "cpu"
      ? new TrainingEngine(model, cpuRunner, { seed })
      : backend === "webgpu"
        ? new TrainingEngine(model, webGpuRunner(await trainingDevice()), { seed })
        : new ReferenceEngine(model, { precision, seed });
  const trainer = new Trainer(engine, params, shapes, {
    optimizer,
    schedule: { schedule, warmup },
    clipNorm: clip,
  });

  mkdirSync(options.out, { recursive: true });
  const checkpointPath = join(options.out, "checkpoint.safetensors");
  const logPath = join(options.out, "log.jsonl");
  let log: EpochLog[] = [];
  if (options.resume) {
    if (!existsSync(checkpointPath))
      throw new UsageError(`--resume: no checkpoint at ${checkpointPath}`);
    const checkpoint = readSafetensorsFileSync(checkpointPath);
    trainer.restore(checkpoint.tensors, checkpoint.metadata);
    log = existsSync(logPath)
      ? readText(logPath)
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as EpochLog)
      : [];
    io.err(`resumed ${checkpointPath} at step ${trainer.stepCount}, epoch ${log.length}`);
  }
  const validBatches = valid.length > 0 ? batches(valid, inputs, batchSize, seed) : [];
  io.err(
    `training ${model.name} on ${train.length} examples (${valid.length} held out), ${stepsPerEpoch} steps per epoch, ${kind} lr ${lr}, ${precision}, ${BACKEND_NAMES[backend]}`,
  );

  // One batch: one optimiser step, or with --bptt one step per window, states carried over.
  const trainStep = async (b: Batch): Promise<number> => {
    if (bptt === undefined) return (await trainer.stepAsync(b)).loss;
    let states: Batch["states"];
    let sum = 0;
    const parts = windows(b, inputs, bptt);
    for (const w of parts) {
      const report = await trainer.stepAsync({ ...w, states });
      states = report.states;
      sum += report.loss;
    }
    return sum / parts.length;
  };
  for (let epoch = log.length + 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    const bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch}/${epochs} |{bar}| {value}/{total} loss {loss} | {speed} steps/s | ETA {eta}s`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const list = batches(train, inputs, batchSize, seed + epoch);
    bar.start(list.length, 0, { loss: "-", speed: "-" });
    let total = 0;
    let count = 0;
    try {
      for (const [i, b] of list.entries()) {
        const size = [...b.inputs.values()][0]!.shape[0]!;
        total += (await trainStep(b)) * size;
        count += size;
        const speed = ((i + 1) / ((performance.now() - started) / 1000)).toFixed(1);
        bar.update(i + 1, { loss: (total / count).toFixed(4), speed });
      }
    } catch (e) {
      bar.stop();
      if (!(e instanceof DivergedError)) throw e;
      // The checkpoint of the last finished epoch stays as it was: it is the last good one.
      const last = log.length > 0 ? checkpointPath : "none (no epoch finished)";
      io.err(`error ${e.code}: ${e.message}; the last good checkpoint is ${last}`);
      return 1;
    }
    bar.stop();
    const entry: EpochLog = {
      epoch,
      train: total / count,
      valid: validBatches.length > 0 ? await meanLoss(trainer, validBatches) : undefined,
      seconds: (performance.now() - started) / 1000,
    };
    log.push(entry);
    const { tensors, metadata } = trainer.checkpoint();
    writeSafetensorsFileSync(checkpointPath, tensors, { ...metadata, epoch: String(epoch) });
    writeSafetensorsFileSync(join(options.out, "weights.safetensors"), trainer.weights(), {
      model: model.name,
      epoch: String(epoch),
    });
    writeTextAtomic(logPath, log.map((l) => JSON.stringify(l)).join("\n") + "\n");
    writeTextAtomic(
      join(options.out, "loss.svg"),
      lossPlot(`${model.name}: loss per epoch`, [
        { name: "train", color: "#1f77b4", points: log.map((l) => [l.epoch, l.train] as const) },
        {
          name: "validation",
          color: "#d62728",
          points: log.filter((l) => l.valid !== undefined).map((l) => [l.epoch, l.valid!] as const),
        },
      ]),
    );
    io.err(
      `epoch ${epoch}: train loss ${entry.train.toFixed(5)}${entry.valid === undefined ? "" : `, validation loss ${entry.valid.toFixed(5)}`} (${entry.seconds.toFixed(1)} s)`,
    );
  }
  // The trained bundle: what `rnnc compile` writes, with the trained weights, for batches up
  // to --batch and sequences up to the longest seen in the data.
  const steps: Record<string, number> = {};
  for (const b of batches(train, inputs, batchSize, seed)) {
    for (const [axis, lengths] of Object.entries(b.lengths))
      steps[axis] = Math.max(steps[axis] ?? 1, ...lengths);
  }
  const bundleDir = join(options.out, "bundle");
  const files = await bundleFiles(model, {
    limits: { batch: batchSize, steps },
    seed,
    weights: trainer.weights(),
    source: spec,
  });
  writeBundleDir(bundleDir, files);
  io.err(
    `wrote ${join(options.out, "weights.safetensors")}, checkpoint.safetensors, log.jsonl, loss.svg and the trained bundle ${bundleDir}`,
  );
  return 0;
}
