/**
 * Runs an execution plan (plan.ts) on a WebGPU device. Everything that does not change
 * between runs is made once in `create`: pipelines (shared per device, cached by a hash of
 * the WGSL source), one buffer per plan buffer, constants filled, one uniform buffer holding
 * every dispatch's block, one bind group per dispatch, staging buffers for the outputs.
 * A run writes the inputs (and any params whose arrays changed), encodes every dispatch in
 * one compute pass and the output copies after it, submits once, and maps only the outputs.
 *
 * The executor reads nothing but the plan: it imports no compiler code.
 */
import { pipelineCacheFor, type PipelineCache } from "./pipelines.ts";
import {
  admitInputs,
  admitParams,
  checkParamsGiven,
  carryPairs,
  checkPlan,
  type CarryPair,
  type HostArray,
  type HostValue,
  type OutputTensor,
} from "./plan-io.ts";
import { elementCount, UNIFORM_WORDS, type Plan } from "./plan.ts";
import { RunTimer } from "./wait.ts";

// The host-side types and errors live in plan-io.ts (shared with runtime/cpu/).
export {
  EXECUTOR_CODES,
  ExecutorError,
  type HostArray,
  type HostTensor,
  type HostValue,
  type OutputTensor,
} from "./plan-io.ts";

export interface ExecutorOptions {
  /** Shared pipelines (default: the device's cache). */
  readonly pipelines?: PipelineCache;
  readonly label?: string;
  /**
   * Carried values (input name → output name): after every run's dispatches, in the same
   * submission, each output is copied on the device into the input's buffer, so the next run
   * reads it there without a round trip (a recurrent state carried step to step). Carried
   * inputs start at zero; a run may still give them, and `resetCarried` zeros them again.
   */
  readonly carry?: Readonly<Record<string, string>>;
}

/** Where a plan buffer lives: its own GPU buffer, or a range of its arena's. */
interface Placement {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

interface Staging {
  readonly source: Placement;
  readonly staging: GPUBuffer;
  readonly bytes: number;
}

export class PlanExecutor {
  private readonly timer = new RunTimer();
  private readonly uploadedParams = new Map<string, HostArray>();
  /** Param writes not yet made: the next run makes them, in queue order. */
  private readonly paramWrites = new Map<number, HostArray>();
  private pending: Promise<unknown> = Promise.resolve();
  private carries: readonly CarryPair[] = [];
  private carried: ReadonlySet<string> = new Set();

  private constructor(
    readonly device: GPUDevice,
    readonly plan: Plan,
    private readonly buffers: readonly GPUBuffer[],
    private readonly places: readonly Placement[],
    private readonly uniforms: GPUBuffer | undefined,
    private readonly pipelines: readonly GPUComputePipeline[],
    private readonly bindGroups: readonly GPUBindGroup[],
    private readonly staging: ReadonlyMap<number, Staging>,
  ) {}

  /** Compiles (or reuses) the plan's pipelines and allocates everything a run needs. */
  static async create(
    device: GPUDevice,
    plan: Plan,
    options: ExecutorOptions = {},
  ): Promise<PlanExecutor> {
    checkPlan(plan);
    const carries = carryPairs(plan, options.carry ?? {});
    const label = options.label ?? "rnnc";
    const cache = options.pipelines ?? pipelineCacheFor(device);
    const pipelines = await Promise.all(plan.shaders.map((s) => cache.pipeline(s)));

    device.pushErrorScope("validation");
    device.pushErrorScope("out-of-memory");
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const owned = plan.buffers.filter((b) => !b.view);
    const allocated = owned.map((b) => {
      const constant = b.role === "constant";
      const buffer = device.createBuffer({
        label: `${label} buffer ${b.id} ${b.role}${b.name === undefined ? "" : ` ${b.name}`}`,
        size: b.byteSize,
        usage,
        mappedAtCreation: constant,
      });
      if (constant) {
        new Uint32Array(buffer.getMappedRange()).fill(b.fillBits!);
        buffer.unmap();
      }
      return buffer;
    });
    const own = new Map(owned.map((b, k) => [b.id, allocated[k]!]));
    const places: Placement[] = plan.buffers.map((b) =>
      b.view
        ? { buffer: own.get(b.view.of)!, offset: b.view.byteOffset, size: b.byteSize }
        : { buffer: own.get(b.id)!, offset: 0, size: b.byteSize },
    );

    const stride = Math.max(UNIFORM_WORDS * 4, device.limits.minUniformBufferOffsetAlignment);
    let uniforms: GPUBuffer | undefined;
    if (plan.dispatches.length > 0) {
      uniforms = device.createBuffer({
        label: `${label} uniforms`,
        size: stride * plan.dispatches.length,
        usage: GPUBufferUsage.UNIFORM,
        mappedAtCreation: true,
      });
      const words = new Uint32Array(uniforms.getMappedRange());
      plan.dispatches.forEach((d, i) => words.set(d.uniforms, (i * stride) / 4));
      uniforms.unmap();
    }
    const bindGroups = plan.dispatches.map((d, i) =>
      device.createBindGroup({
        label: `${label} ${d.label}`,
        layout: cache.bindGroupLayout(plan.shaders[d.shader]!.layout),
        entries: [
          {
            binding: 0,
            resource: { buffer: uniforms!, offset: i * stride, size: UNIFORM_WORDS * 4 },
          },
          ...d.buffers.map((id, k) => ({ binding: k + 1, resource: places[id]! })),
        ],
      }),
    );
    const staging = new Map<number, Staging>();
    for (const out of Object.values(plan.outputs)) {
      if (staging.has(out.buffer)) continue;
      const bytes = elementCount(out.shape) * 4;
      staging.set(out.buffer, {
        source: places[out.buffer]!,
        bytes,
        staging: device.createBuffer({
          label: `${label} read-back ${out.buffer}`,
          size: Math.max(4, bytes),
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        }),
      });
    }
    const oom = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    const error = invalid ?? oom;
    if (error) {
      for (const b of [...allocated, ...(uniforms ? [uniforms] : [])]) b.destroy();
      for (const s of staging.values()) s.staging.destroy();
      throw new Error(`WebGPU could not set up plan '${label}': ${error.message}`);
    }
    const executor = new PlanExecutor(
      device,
      plan,
      allocated,
      places,
      uniforms,
      pipelines,
      bindGroups,
      staging,
    );
    executor.carries = carries;
    executor.carried = new Set(carries.map((c) => c.input));
    return executor;
  }

  /** Compute dispatches per run. */
  get dispatchCount(): number {
    return this.plan.dispatches.length;
  }

  /**
   * Uploads parameters (with the next run, in queue order). Arrays already uploaded (the
   * same objects) are skipped, so passing the same weights to every `run` costs nothing;
   * pass new arrays to change them. Nothing is taken when any of them is invalid.
   */
  setParams(params: Readonly<Record<string, HostValue>>): void {
    this.takeParams(admitParams(this.plan, params));
  }

  /** Runs the plan: one queue submission, then only the outputs are read back. */
  async run(
    inputs: Readonly<Record<string, HostValue>>,
    params?: Readonly<Record<string, HostValue>>,
  ): Promise<Record<string, OutputTensor>> {
    // Validate everything before taking anything, then queue behind any run still reading
    // back (the staging buffers are shared); this run's writes are made in queue order.
    const newParams = params ? admitParams(this.plan, params) : new Map<string, HostArray>();
    checkParamsGiven(this.plan, (name) => this.uploadedParams.has(name), newParams);
    const inputWrites = admitInputs(this.plan, inputs, this.carried);
    this.takeParams(newParams);
    const writes = new Map([...this.paramWrites, ...inputWrites]);
    this.paramWrites.clear();
    const result = this.pending.then(() => this.execute(writes));
    this.pending = result.catch(() => undefined);
    return result;
  }

  /** Zeros the carried inputs (with the next run, in queue order; see ExecutorOptions.carry). */
  resetCarried(): void {
    // Zero bits are zero in f32 and i32 alike.
    for (const c of this.carries) this.paramWrites.set(c.to, new Float32Array(c.bytes / 4));
  }

  /** Frees the buffers (pipelines stay in the device's cache). */
  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.uniforms?.destroy();
    for (const s of this.staging.values()) s.staging.destroy();
  }

  private takeParams(params: ReadonlyMap<string, HostArray>): void {
    for (const [name, data] of params) {
      if (this.uploadedParams.get(name) === data) continue;
      this.paramWrites.set(this.plan.params[name]!.buffer, data);
      this.uploadedParams.set(name, data);
    }
  }

  private async execute(
    writes: ReadonlyMap<number, HostArray>,
  ): Promise<Record<string, OutputTensor>> {
    const { device, plan } = this;
    let paramsChanged = false;
    for (const [id, data] of writes) {
      const place = this.places[id]!;
      device.queue.writeBuffer(place.buffer, place.offset, data);
      paramsChanged ||= plan.buffers[id]!.role === "param";
    }
    const encoder = device.createCommandEncoder({ label: "rnnc run" });
    if (plan.dispatches.length > 0) {
      const pass = encoder.beginComputePass();
      let current = -1;
      plan.dispatches.forEach((d, i) => {
        if (d.when === "params" && !paramsChanged) return;
        if (d.shader !== current) {
          pass.setPipeline(this.pipelines[d.shader]!);
          current = d.shader;
        }
        pass.setBindGroup(0, this.bindGroups[i]!);
        pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
      });
      pass.end();
    }
    for (const c of this.carries) {
      const [from, to] = [this.places[c.from]!, this.places[c.to]!];
      if (c.from !== c.to)
        encoder.copyBufferToBuffer(from.buffer, from.offset, to.buffer, to.offset, c.bytes);
    }
    for (const s of this.staging.values()) {
      if (s.bytes > 0) {
        encoder.copyBufferToBuffer(s.source.buffer, s.source.offset, s.staging, 0, s.bytes);
      }
    }
    const started = this.timer.start();
    device.queue.submit([encoder.finish()]);
    await this.timer.sleepMostOfLastRun();
    const staged = [...this.staging.values()];
    await Promise.all(staged.map((s) => s.staging.mapAsync(GPUMapMode.READ)));
    this.timer.finish(started);
    const bytesOf = new Map<number, ArrayBuffer>();
    for (const [id, s] of this.staging) {
      bytesOf.set(id, s.staging.getMappedRange().slice(0, s.bytes));
      s.staging.unmap();
    }
    const out: Record<string, OutputTensor> = {};
    for (const [name, o] of Object.entries(plan.outputs)) {
      const bytes = bytesOf.get(o.buffer)!;
      out[name] = {
        shape: [...o.shape],
        data: o.dtype === "f32" ? new Float32Array(bytes.slice(0)) : new Int32Array(bytes.slice(0)),
      };
    }
    return out;
  }
}
