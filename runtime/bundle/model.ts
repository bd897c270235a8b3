/**
 * A loaded bundle: `BundleModel.load(dir or URL, {backend})`, then `run` on whole batches of
 * variable-length sequences, `stream()` one step at a time with the recurrent state kept by
 * the backend (on the device for WebGPU), and `generate` for models that decode. The
 * generated glue (`<model>.ts`) is a typed face over this class; it needs only runtime/.
 */
import { acquireDevice, NoWebGpuAdapterError } from "../webgpu/device.ts";
import type { Tensor as StoredTensor } from "../weights/safetensors.ts";
import {
  cpuEngine,
  referenceEngine,
  webgpuEngine,
  type BackendName,
  type Carry,
  type Engine,
  type EngineOutput,
} from "./engines.ts";
import { BUNDLE_CODES, BundleError } from "./errors.ts";
import { GpuSession } from "./gpu-session.ts";
import { admitFeeds, type InputValue } from "./feeds.ts";
import { bundleReader, type BundleLocation, type FileReader } from "./files.ts";
import { loadGraph, loadKernels, loadManifest, loadPlan, loadWeights } from "./load.ts";
import type { Manifest, TensorSpec } from "./manifest.ts";

export interface LoadOptions {
  /** "auto" (default): WebGPU when an adapter exists, else the CPU with a note. */
  readonly backend?: BackendName | "auto";
  /** A WebGPU device to use instead of acquiring one. */
  readonly device?: GPUDevice;
  /** Where the CPU fallback note goes (default: console.warn). */
  readonly onNote?: (message: string) => void;
}

export interface RunOptions {
  /** Each sequence's length per time axis (default: the ragged lengths, or the padded length). */
  readonly lengths?: Readonly<Record<string, readonly number[]>>;
}

export type Inputs = Readonly<Record<string, InputValue>>;

/** A float output: Float32Array on WebGPU and the CPU, Float64Array on the reference. */
export interface FloatOutput {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

export interface IntOutput {
  readonly shape: readonly number[];
  readonly data: Int32Array;
}
export type Outputs = Record<string, EngineOutput>;

/** Rows [0, batch) and steps [0, steps) of a [limitB, limitT?, ...] output. */
function slice(out: EngineOutput, batch: number, steps: number | undefined): EngineOutput {
  const [limitB, ...rest] = out.shape;
  const timed = steps !== undefined && rest.length > 0;
  const limitT = timed ? rest[0]! : 1;
  const t = timed ? steps : 1;
  const inner = rest.slice(timed ? 1 : 0).reduce((a, b) => a * b, 1);
  const data = new (out.data.constructor as Float32ArrayConstructor)(batch * t * inner);
  for (let b = 0; b < Math.min(batch, limitB!); b++)
    data.set(out.data.subarray(b * limitT * inner, (b * limitT + t) * inner), b * t * inner);
  return { shape: [batch, ...(timed ? [t] : []), ...rest.slice(timed ? 1 : 0)], data };
}

export class BundleModel {
  /** The step executors of the open streams. */
  private readonly streams = new Set<Promise<Engine>>();
  /** Set while a lost device is being replaced: every call waits for it. */
  private renewing: Promise<void> | undefined;

  private constructor(
    readonly manifest: Manifest,
    readonly backend: BackendName,
    private engine: Engine,
    private make: EngineMaker,
    /** The WebGPU device's session (webgpu backend only). */
    private readonly gpu: GpuSession | undefined,
    private readonly rebuild: (device: GPUDevice) => Promise<EngineMaker>,
  ) {}

  /** Loads the bundle at `location` (a folder, or its URL) on a backend. */
  static async load(location: BundleLocation, options: LoadOptions = {}): Promise<BundleModel> {
    const read = bundleReader(location);
    const manifest = await loadManifest(read);
    const weights = await loadWeights(read, manifest);
    let backend = options.backend ?? "auto";
    let gpu: GpuSession | undefined;
    const label = `rnnc ${manifest.model}`;
    if (options.device) {
      if (backend === "auto") backend = "webgpu";
      if (backend === "webgpu") gpu = new GpuSession(options.device, false, label);
    } else if (backend === "auto" || backend === "webgpu") {
      try {
        gpu = new GpuSession((await acquireDevice({ label })).device, true, label);
        backend = "webgpu";
      } catch (e) {
        if (!(e instanceof NoWebGpuAdapterError)) throw e;
        if (backend === "webgpu")
          throw new BundleError(BUNDLE_CODES.backendUnavailable, `backend webgpu: ${e.message}`);
        (options.onNote ?? console.warn)(
          `note: no WebGPU adapter here, so ${manifest.model} runs on the CPU backend (${e.message.split(". ")[0]})`,
        );
        backend = "cpu";
      }
    }
    const chosen = backend as BackendName;
    const rebuild = (device: GPUDevice | undefined) =>
      engineMaker(read, manifest, chosen, weights, device);
    const make = await rebuild(gpu?.device);
    const engine = await make(manifest.backends[chosen].run, {});
    return new BundleModel(manifest, chosen, engine, make, gpu, rebuild);
  }

  /** The WebGPU device the model runs on (undefined on the CPU and reference backends). */
  get device(): GPUDevice | undefined {
    return this.gpu?.device;
  }

  /**
   * The engine, on a live device: a device this model acquired and lost is replaced (with new
   * pipelines and the weights uploaded again); a lost device the caller passed in is an error.
   */
  private async liveEngine(): Promise<Engine> {
    await this.renewing;
    const gpu = this.gpu;
    if (!gpu?.isLost) return this.engine;
    if (!gpu.owned)
      throw new BundleError(
        BUNDLE_CODES.deviceLost,
        `the WebGPU device given to ${this.manifest.model} is lost; load the bundle again on a new device`,
      );
    this.renewing ??= (async () => {
      this.make = await this.rebuild(await gpu.renew());
      this.engine = await this.make(this.manifest.backends[this.backend].run, {});
      // The streams' states lived on the lost device: their next step fails (RNN4514).
    })().finally(() => (this.renewing = undefined));
    await this.renewing;
    return this.engine;
  }

  /**
   * Runs `engine`, reporting a device lost meanwhile as RNN4514 (the next call recovers). A
   * lost device's pending work may fail or may never settle, so the loss itself ends the wait.
   */
  private async runOn(engine: Engine, host: Parameters<Engine["run"]>[0]) {
    const gpu = this.gpu;
    let info: GPUDeviceLostInfo | undefined;
    try {
      if (!gpu) return await engine.run(host);
      const lost = gpu.device.lost.then((i) => ({ lost: i }));
      const done = await Promise.race([engine.run(host).then((out) => ({ out })), lost]);
      if ("out" in done) return done.out;
      info = done.lost;
    } catch (e) {
      info = await gpu?.lost();
      if (!info) throw e;
    }
    const next = gpu!.owned
      ? "the next call runs on a new device"
      : "load the bundle again on a new device";
    throw new BundleError(
      BUNDLE_CODES.deviceLost,
      `the WebGPU device of ${this.manifest.model} was lost during the call (${info.reason}${info.message ? `: ${info.message.trim()}` : ""}); ${next}`,
    );
  }

  /** Runs whole sequences: at most `limits.batch` of them, of at most `limits.steps` steps. */
  async run(inputs: Inputs, options: RunOptions = {}): Promise<Outputs> {
    const { manifest } = this;
    const feeds = admitFeeds(manifest.inputs, inputs, options.lengths, manifest.limits);
    const raw = await this.runOn(await this.liveEngine(), feeds.host);
    const out: Outputs = {};
    for (const spec of manifest.outputs)
      out[spec.name] = slice(
        raw[spec.name]!,
        feeds.batch,
        spec.time ? feeds.steps[spec.time] : undefined,
      );
    return out;
  }

  /** Decodes on the device in one submission (one-to-many and encoder-decoder models). */
  generate(inputs: Inputs, options: RunOptions = {}): Promise<Outputs> {
    if (!this.manifest.generates)
      throw new BundleError(
        BUNDLE_CODES.unsupported,
        `model ${this.manifest.model} does not decode; use run`,
      );
    return this.run(inputs, options);
  }

  /**
   * A stream: one step at a time, the encoders' states kept between steps by the backend.
   * Each stream has its own states (its own step executor), so streams of one model are
   * independent of each other; `destroy()` frees one, the model's `destroy()` frees all.
   */
  stream(): BundleStream {
    const stream = this.manifest.stream;
    if (!stream)
      throw new BundleError(
        BUNDLE_CODES.unsupported,
        `model ${this.manifest.model} cannot stream: only models whose encoders all run forwards (no bidirectional encoder, no decoder) over one time axis can`,
      );
    const step = this.manifest.backends[this.backend].step;
    if (!step) throw new BundleError(BUNDLE_CODES.unsupported, "no step plan");
    const carry = Object.fromEntries(stream.states.map((s) => [s.input, s.output]));
    const engine = this.liveEngine().then(() => this.make(step, carry));
    // A step plan that fails to load rejects each step; unawaited, it must not end the process.
    engine.catch(() => {});
    this.streams.add(engine);
    return new BundleStream(this.manifest, engine, () => this.streams.delete(engine));
  }

  destroy(): void {
    this.engine.destroy();
    for (const engine of this.streams) void engine.then((e) => e.destroy(), ignore);
    this.streams.clear();
    this.gpu?.destroy();
  }
}

type EngineMaker = (path: string, carry: Carry) => Promise<Engine>;

/** A stream whose engine never loaded has nothing to free (its steps reported why). */
function ignore(): void {}

async function engineMaker(
  read: FileReader,
  manifest: Manifest,
  backend: BackendName,
  weights: ReadonlyMap<string, StoredTensor>,
  device: GPUDevice | undefined,
): Promise<EngineMaker> {
  if (backend === "reference")
    return async (path, carry) =>
      referenceEngine(await loadGraph(read, manifest, path), weights, carry, path);
  if (backend === "cpu")
    return async (path, carry) =>
      cpuEngine(await loadPlan(read, manifest, path, undefined), weights, carry);
  const kernels = await loadKernels(read, manifest);
  return async (path, carry) =>
    webgpuEngine(
      device!,
      await loadPlan(read, manifest, path, kernels),
      weights,
      carry,
      `${manifest.model} ${path}`,
    );
}

/** One step at a time; the batch is fixed by the first step until `reset`. */
export class BundleStream {
  private batch: number | undefined;
  private readonly specs: readonly TensorSpec[];

  constructor(
    private readonly manifest: Manifest,
    private readonly engine: Promise<Engine>,
    private readonly forget: () => void = () => {},
  ) {
    this.specs = manifest.inputs;
  }

  /** Frees this stream's executor (its states and buffers). */
  destroy(): void {
    this.forget();
    void this.engine.then((e) => e.destroy(), ignore);
  }

  /** Feeds one step ([B, ...] for each [B, T, ...] input); returns that step's outputs. */
  async step(inputs: Inputs): Promise<Outputs> {
    const { limits, stream } = this.manifest;
    const feeds = admitFeeds(this.specs, inputs, undefined, limits, true);
    if (this.batch !== undefined && feeds.batch !== this.batch)
      throw new BundleError(
        BUNDLE_CODES.wrongShape,
        `stream: batch ${feeds.batch}, but this stream started with batch ${this.batch} (reset() to start another)`,
      );
    this.batch = feeds.batch;
    feeds.host[`lengths.${stream!.axis}`] = new Int32Array(limits.batch).fill(1);
    const raw = await (await this.engine).run(feeds.host);
    const out: Outputs = {};
    for (const spec of this.manifest.outputs) {
      const o = slice(raw[spec.name]!, feeds.batch, undefined);
      // Per-step outputs are [B, 1, ...]: a step gives [B, ...].
      const perStep = spec.time === stream!.axis;
      out[spec.name] = perStep ? { shape: [o.shape[0]!, ...o.shape.slice(2)], data: o.data } : o;
    }
    return out;
  }

  /** Starts again from zero states (any batch). */
  async reset(): Promise<void> {
    this.batch = undefined;
    (await this.engine).resetCarried();
  }
}
