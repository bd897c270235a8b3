/**
 * Runs an execution plan (runtime/webgpu/plan.ts) on the CPU, for machines without a WebGPU
 * adapter: the same plan, the same API, validation and RNN43xx errors as the WebGPU
 * PlanExecutor (shared through runtime/webgpu/plan-io.ts), the same results within f32
 * rounding. Each plan buffer is one ArrayBuffer viewed as f32, i32 and u32, so buffers that
 * the plan shares (reshapes, same-type casts) are shared here too; each dispatch becomes a
 * closure over its typed arrays and decoded uniforms (kernels.ts), made once in `create`;
 * a generated JavaScript kernel (a whole fused recurrence: js-kernel.ts) is built once per
 * shader with `new Function` and bound to its dispatch's buffers the same way.
 * A run copies in the inputs (and any params whose arrays changed), calls every dispatch in
 * order and copies out only the outputs.
 *
 * Like the WebGPU executor it reads nothing but the plan: it imports no compiler code.
 */
import {
  admitInputs,
  admitParams,
  carryPairs,
  checkParamsGiven,
  checkPlan,
  type CarryPair,
  EXECUTOR_CODES,
  ExecutorError,
  type HostArray,
  type HostValue,
  type OutputTensor,
} from "../webgpu/plan-io.ts";
import { elementCount, UNIFORM_WORDS, type Plan } from "../webgpu/plan.ts";
import { compileJsKernel } from "./js-kernel.ts";
import { BINDINGS } from "./layouts.ts";
import { KernelWordsError, KERNELS, type CpuBuffer, type Step } from "./kernels.ts";

export {
  EXECUTOR_CODES,
  ExecutorError,
  type HostArray,
  type HostTensor,
  type HostValue,
  type OutputTensor,
} from "../webgpu/plan-io.ts";

export interface CpuExecutorOptions {
  readonly label?: string;
  /** Carried values (input name → output name), as in the WebGPU ExecutorOptions. */
  readonly carry?: Readonly<Record<string, string>>;
}

function bufferOf(bytes: ArrayBuffer, byteOffset: number, byteSize: number): CpuBuffer {
  const n = byteSize / 4;
  return {
    f32: new Float32Array(bytes, byteOffset, n),
    i32: new Int32Array(bytes, byteOffset, n),
    u32: new Uint32Array(bytes, byteOffset, n),
  };
}

/** A typed-array view per plan buffer: its own memory, or its range of its arena's. */
function allocate(plan: Plan): CpuBuffer[] {
  const memory = new Map<number, ArrayBuffer>();
  for (const b of plan.buffers) if (!b.view) memory.set(b.id, new ArrayBuffer(b.byteSize));
  return plan.buffers.map((b) => {
    const buffer = b.view
      ? bufferOf(memory.get(b.view.of)!, b.view.byteOffset, b.byteSize)
      : bufferOf(memory.get(b.id)!, 0, b.byteSize);
    if (b.role === "constant") buffer.u32.fill(b.fillBits!);
    return buffer;
  });
}

function badPlan(message: string): never {
  throw new ExecutorError(EXECUTOR_CODES.badPlan, `invalid plan: ${message}`);
}

export class CpuPlanExecutor {
  private readonly uploadedParams = new Map<string, HostArray>();
  private carries: readonly CarryPair[] = [];
  private carried: ReadonlySet<string> = new Set();

  private constructor(
    readonly plan: Plan,
    readonly label: string,
    private readonly buffers: readonly CpuBuffer[],
    private readonly steps: readonly Step[],
  ) {}

  /**
   * Checks the plan, allocates its buffers (constants filled) and prepares every dispatch.
   * Synchronous; `await` on it works as on PlanExecutor.create.
   */
  static create(plan: Plan, options: CpuExecutorOptions = {}): CpuPlanExecutor {
    checkPlan(plan, ["wgsl", "js"]);
    const carries = carryPairs(plan, options.carry ?? {});
    const buffers = allocate(plan);
    const words = new Uint32Array(UNIFORM_WORDS);
    const generated = new Map<number, (b: readonly CpuBuffer[]) => Step>();
    const steps = plan.dispatches.map((d, i) => {
      const shader = plan.shaders[d.shader]!;
      if (shader.language === "js") {
        try {
          let make = generated.get(d.shader);
          if (!make) generated.set(d.shader, (make = compileJsKernel(shader.code)));
          return make(d.buffers.map((id) => buffers[id]!));
        } catch (e) {
          badPlan(`dispatch ${i} (${d.label}): ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      const kernel = Object.hasOwn(KERNELS, shader.name) ? KERNELS[shader.name] : undefined;
      if (!kernel) badPlan(`dispatch ${i} (${d.label}): no CPU kernel for shader '${shader.name}'`);
      if (shader.layout.length !== BINDINGS[shader.name])
        badPlan(
          `dispatch ${i} (${d.label}): ${shader.name} binds ${BINDINGS[shader.name]} buffers, the plan's shader ${shader.layout.length}`,
        );
      // Each dispatch gets its own copy of the words (kernels keep views of them).
      words.fill(0);
      words.set(d.uniforms.map((v) => v >>> 0));
      const own = new Uint32Array(words);
      try {
        return kernel(
          { u32: own, f32: new Float32Array(own.buffer) },
          d.buffers.map((id) => buffers[id]!),
        );
      } catch (e) {
        if (e instanceof KernelWordsError) badPlan(`dispatch ${i} (${d.label}): ${e.message}`);
        throw e;
      }
    });
    const executor = new CpuPlanExecutor(plan, options.label ?? "rnnc", buffers, steps);
    executor.carries = carries;
    executor.carried = new Set(carries.map((c) => c.input));
    return executor;
  }

  /** Dispatches per run. */
  get dispatchCount(): number {
    return this.plan.dispatches.length;
  }

  /**
   * Takes parameters for this and later runs. Arrays already taken (the same objects) are
   * skipped, so passing the same weights to every `run` costs nothing; pass new arrays to
   * change them. Nothing is taken when any of them is invalid.
   */
  setParams(params: Readonly<Record<string, HostValue>>): void {
    this.takeParams(admitParams(this.plan, params));
  }

  /** Runs the plan; as PlanExecutor.run (a promise, rejected with the same errors). */
  run(
    inputs: Readonly<Record<string, HostValue>>,
    params?: Readonly<Record<string, HostValue>>,
  ): Promise<Record<string, OutputTensor>> {
    try {
      return Promise.resolve(this.runSync(inputs, params));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** Runs the plan and returns its outputs (fresh arrays), synchronously. */
  runSync(
    inputs: Readonly<Record<string, HostValue>>,
    params?: Readonly<Record<string, HostValue>>,
  ): Record<string, OutputTensor> {
    // Validate everything before taking anything.
    const newParams = params ? admitParams(this.plan, params) : new Map<string, HostArray>();
    checkParamsGiven(this.plan, (name) => this.uploadedParams.has(name), newParams);
    const inputWrites = admitInputs(this.plan, inputs, this.carried);
    this.takeParams(newParams);
    for (const [id, data] of inputWrites) this.write(id, data);
    for (const step of this.steps) step();
    for (const c of this.carries) {
      if (c.from !== c.to)
        this.buffers[c.to]!.u32.set(this.buffers[c.from]!.u32.subarray(0, c.bytes / 4));
    }
    const out: Record<string, OutputTensor> = {};
    for (const [name, o] of Object.entries(this.plan.outputs)) {
      const buffer = this.buffers[o.buffer]!;
      const size = elementCount(o.shape);
      out[name] = {
        shape: [...o.shape],
        data: o.dtype === "f32" ? buffer.f32.slice(0, size) : buffer.i32.slice(0, size),
      };
    }
    return out;
  }

  /** Zeros the carried inputs (see CpuExecutorOptions.carry). */
  resetCarried(): void {
    for (const c of this.carries) this.buffers[c.to]!.u32.fill(0, 0, c.bytes / 4);
  }

  /** Nothing to free (the buffers are garbage collected); for parity with PlanExecutor. */
  destroy(): void {}

  private write(id: number, data: HostArray): void {
    const buffer = this.buffers[id]!;
    if (data instanceof Float32Array) buffer.f32.set(data);
    else buffer.i32.set(data);
  }

  private takeParams(params: ReadonlyMap<string, HostArray>): void {
    for (const [name, data] of params) {
      if (this.uploadedParams.get(name) === data) continue;
      this.write(this.plan.params[name]!.buffer, data);
      this.uploadedParams.set(name, data);
    }
  }
}
