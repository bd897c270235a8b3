/**
 * An execution plan for the WebGPU executor: plain, JSON-serialisable data that says which
 * buffers exist, which WGSL shaders run, and every dispatch in order. The compiler writes it
 * (compiler/codegen/wgsl); the executor (executor.ts) runs it knowing nothing of the IR.
 *
 * Conventions every shader of a plan follows:
 * - binding 0 of group 0 is a uniform block of UNIFORM_WORDS u32 words (a dispatch's
 *   `uniforms`, zero-padded); f32 values in it are stored as their bit patterns;
 * - bindings 1, 2, ... are the storage buffers of `PlanDispatch.buffers`, in that order, with
 *   the access `PlanShader.layout` gives for each;
 * - f32 and i32 tensors are dense row-major arrays of 4-byte elements.
 */

export const PLAN_VERSION = 1;

/** Words in every dispatch's uniform block (256 bytes: one minimum uniform-offset alignment). */
export const UNIFORM_WORDS = 64;

export type PlanDType = "f32" | "i32";

/**
 * input: written by every run; param: written when the caller gives new weights; constant:
 * filled once when the executor is created; temp: written by a dispatch; output: a temp that
 * the run reads back (inputs, params and constants can be outputs too, see `Plan.outputs`).
 */
export type BufferRole = "input" | "param" | "constant" | "temp" | "output" | "arena";

/** Views into an arena start at multiples of this many bytes (WebGPU's storage offset rule). */
export const VIEW_ALIGNMENT = 256;

export interface PlanBuffer {
  readonly id: number;
  /** Bytes to allocate: at least 4 (a binding must not be empty), a multiple of 4. */
  readonly byteSize: number;
  readonly dtype: PlanDType;
  readonly role: BufferRole;
  readonly shape: readonly number[];
  /** The input's, param's or output's name. */
  readonly name?: string;
  /** For constants: every element's 32-bit pattern (f32 bits or i32 two's complement), as a u32. */
  readonly fillBits?: number;
  /**
   * A view: this buffer is `byteSize` bytes of arena `of` from `byteOffset` (a multiple of
   * VIEW_ALIGNMENT). Only arenas are allocated; writes, bindings and read-backs of a view go
   * to its arena's range. Fused kernels bind whole arenas and index them with baked offsets.
   */
  readonly view?: { readonly of: number; readonly byteOffset: number };
}

export type BindingAccess = "read" | "read_write";

/**
 * What a shader's `code` is: WGSL (the default), or "js": the body of a JavaScript factory
 * that the CPU executor builds once (runtime/cpu/js-kernel.ts states its contract). An
 * executor refuses a plan with a shader in a language it does not run.
 */
export type ShaderLanguage = "wgsl" | "js";

export interface PlanShader {
  /** The kernel family, e.g. "zip_f32" (for logs and debugging). */
  readonly name: string;
  readonly code: string;
  readonly entryPoint: string;
  /** The access of storage bindings 1, 2, ... (binding 0 is always the uniform block). */
  readonly layout: readonly BindingAccess[];
  /** Absent: "wgsl". */
  readonly language?: ShaderLanguage;
}

export interface PlanDispatch {
  /** Index into `Plan.shaders`. */
  readonly shader: number;
  /** Buffer ids bound at bindings 1, 2, ... in order. */
  readonly buffers: readonly number[];
  /** The uniform block's u32 words (at most UNIFORM_WORDS; the rest are zero). */
  readonly uniforms: readonly number[];
  readonly workgroups: readonly [number, number, number];
  /** What it computes, e.g. "%12 add" (the IR node id and op). */
  readonly label: string;
  /**
   * "params": it computes only from parameters (e.g. concatenated gate weights), so a run
   * encodes it only when parameters were written since the last run, before the others.
   */
  readonly when?: "params";
}

export interface PlanTensor {
  readonly buffer: number;
  readonly shape: readonly number[];
  readonly dtype: PlanDType;
}

export interface PlanSource extends PlanTensor {
  /** False when no output depends on it: a run may then omit it. */
  readonly required: boolean;
}

export interface Plan {
  readonly version: typeof PLAN_VERSION;
  readonly buffers: readonly PlanBuffer[];
  readonly shaders: readonly PlanShader[];
  readonly dispatches: readonly PlanDispatch[];
  readonly inputs: Readonly<Record<string, PlanSource>>;
  readonly params: Readonly<Record<string, PlanSource>>;
  readonly outputs: Readonly<Record<string, PlanTensor>>;
}

/** A plan that does not fit this executor (wrong version, broken references). */
export class PlanError extends Error {
  override readonly name = "PlanError";
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks a plan's version and internal references; throws PlanError on the first problem. */
export function validatePlan(plan: Plan): void {
  const fail = (message: string): never => {
    throw new PlanError(`invalid plan: ${message}`);
  };
  if (plan.version !== PLAN_VERSION)
    fail(`version ${String(plan.version)}, this executor reads version ${PLAN_VERSION}`);
  plan.buffers.forEach((b, i) => {
    if (b.id !== i) fail(`buffer ${i} has id ${b.id}`);
    if (b.byteSize < 4 || b.byteSize % 4 !== 0 || b.byteSize < elementCount(b.shape) * 4)
      fail(`buffer ${i} has byte size ${b.byteSize} for shape [${b.shape.join(", ")}]`);
    if (b.role === "constant" && b.fillBits === undefined) fail(`constant ${i} has no fill`);
  });
  plan.buffers.forEach((b, i) => {
    if (!b.view) return;
    const arena = plan.buffers[b.view.of];
    if (arena?.role !== "arena") return fail(`buffer ${i} views ${b.view.of}, not an arena`);
    if (b.role === "arena" || b.role === "constant")
      fail(`buffer ${i}: a ${b.role} cannot be a view`);
    const { byteOffset } = b.view;
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % VIEW_ALIGNMENT !== 0)
      fail(`buffer ${i} views at byte ${byteOffset}, not a multiple of ${VIEW_ALIGNMENT}`);
    if (byteOffset + b.byteSize > arena.byteSize)
      fail(`buffer ${i} ends past its arena ${b.view.of}`);
  });
  const buffer = (id: number, what: string) => {
    if (!Number.isInteger(id) || id < 0 || id >= plan.buffers.length)
      fail(`${what} names buffer ${id}, which does not exist`);
    return plan.buffers[id]!;
  };
  plan.dispatches.forEach((d, i) => {
    const shader = plan.shaders[d.shader] ?? fail(`dispatch ${i} names shader ${d.shader}`);
    if (d.buffers.length !== shader.layout.length)
      fail(
        `dispatch ${i} binds ${d.buffers.length} buffers, ${shader.name} has ${shader.layout.length}`,
      );
    d.buffers.forEach((id) => buffer(id, `dispatch ${i}`));
    if (d.uniforms.length > UNIFORM_WORDS)
      fail(`dispatch ${i} has ${d.uniforms.length} uniform words`);
  });
  for (const [kind, table] of [
    ["input", plan.inputs],
    ["param", plan.params],
    ["output", plan.outputs],
  ] as const) {
    for (const [name, t] of Object.entries(table)) {
      const b = buffer(t.buffer, `${kind} '${name}'`);
      if (b.dtype !== t.dtype || elementCount(b.shape) !== elementCount(t.shape))
        fail(`${kind} '${name}' does not match buffer ${t.buffer}`);
    }
  }
}
