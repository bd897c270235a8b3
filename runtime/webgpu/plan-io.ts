/**
 * What every executor of a plan (plan.ts) shares with the caller, and none of it needs a GPU:
 * the host-side value types, the RNN43xx errors, and the checks of a plan and of the inputs
 * and params given to a run. The WebGPU executor (executor.ts) and the CPU executor
 * (runtime/cpu/) both admit values through here, so both reject the same bad input with the
 * same code and message.
 */
import {
  elementCount,
  PlanError,
  validatePlan,
  type Plan,
  type PlanDType,
  type PlanSource,
  type ShaderLanguage,
} from "./plan.ts";

export type HostArray = Float32Array | Int32Array;

export interface HostTensor {
  readonly shape: readonly number[];
  readonly data: HostArray;
}

/** A value given to `run`: the bare array (its length is checked) or an array with a shape. */
export type HostValue = HostArray | HostTensor;

export interface OutputTensor {
  readonly shape: number[];
  readonly data: HostArray;
}

export const EXECUTOR_CODES = {
  missing: "RNN4301",
  unexpected: "RNN4302",
  wrongDtype: "RNN4303",
  wrongShape: "RNN4304",
  badPlan: "RNN4305",
} as const;

export class ExecutorError extends Error {
  override readonly name = "ExecutorError";

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

function dtypeOf(data: HostArray): PlanDType | undefined {
  if (data instanceof Float32Array) return "f32";
  if (data instanceof Int32Array) return "i32";
  return undefined;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * validatePlan, its PlanError turned into ExecutorError RNN4305; also RNN4305 for a shader in
 * a language the executor does not run (a CPU plan's JavaScript kernels on WebGPU).
 */
export function checkPlan(plan: Plan, runs: readonly ShaderLanguage[] = ["wgsl"]): void {
  try {
    validatePlan(plan);
  } catch (e) {
    if (e instanceof PlanError) throw new ExecutorError(EXECUTOR_CODES.badPlan, e.message);
    throw e;
  }
  plan.shaders.forEach((s, i) => {
    const language = s.language ?? "wgsl";
    if (!runs.includes(language))
      throw new ExecutorError(
        EXECUTOR_CODES.badPlan,
        `invalid plan: shader ${i} (${s.name}) is ${language}, this executor runs ${runs.join(" and ")}`,
      );
  });
}

/** Checks one value against its plan entry; returns its data. */
export function admit(kind: string, name: string, entry: PlanSource, value: HostValue): HostArray {
  const isArray = value instanceof Float32Array || value instanceof Int32Array;
  const data = isArray ? value : value.data;
  const want = `${entry.dtype}${shapeText(entry.shape)}`;
  const dtype = dtypeOf(data);
  if (dtype !== entry.dtype) {
    const got = (data as object | null | undefined)?.constructor?.name ?? String(data);
    throw new ExecutorError(
      EXECUTOR_CODES.wrongDtype,
      `${kind} '${name}': expected ${entry.dtype === "f32" ? "a Float32Array" : "an Int32Array"} (${want}), got ${got}`,
    );
  }
  if (!isArray && !sameShape(value.shape, entry.shape)) {
    throw new ExecutorError(
      EXECUTOR_CODES.wrongShape,
      `${kind} '${name}': expected shape ${shapeText(entry.shape)}, got ${shapeText(value.shape)}`,
    );
  }
  const size = elementCount(entry.shape);
  if (data.length !== size) {
    throw new ExecutorError(
      EXECUTOR_CODES.wrongShape,
      `${kind} '${name}': expected ${size} values (${want}), got ${data.length}`,
    );
  }
  return data;
}

/** Throws RNN4302 for a name that `known` lacks. */
export function checkNames(
  kind: string,
  given: Readonly<Record<string, HostValue>>,
  known: Readonly<Record<string, PlanSource>>,
): void {
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(known, name)) {
      const names = Object.keys(known);
      throw new ExecutorError(
        EXECUTOR_CODES.unexpected,
        `unknown ${kind} '${name}' (the plan's ${kind}s: ${names.length > 0 ? names.join(", ") : "none"})`,
      );
    }
  }
}

/** Every param given, checked, by name (nothing is taken: the caller decides). */
export function admitParams(
  plan: Plan,
  params: Readonly<Record<string, HostValue>>,
): Map<string, HostArray> {
  checkNames("param", params, plan.params);
  const out = new Map<string, HostArray>();
  for (const [name, value] of Object.entries(params))
    out.set(name, admit("param", name, plan.params[name]!, value));
  return out;
}

/** Throws RNN4301 for a required param neither given now nor before (`has`). */
export function checkParamsGiven(
  plan: Plan,
  has: (name: string) => boolean,
  given: ReadonlyMap<string, HostArray>,
): void {
  for (const [name, entry] of Object.entries(plan.params)) {
    if (entry.required && !has(name) && !given.has(name)) {
      throw new ExecutorError(
        EXECUTOR_CODES.missing,
        `param '${name}' (${entry.dtype}${shapeText(entry.shape)}) was never given`,
      );
    }
  }
}

/**
 * The run's inputs, checked, by buffer id; a required input missing is RNN4301, unless
 * `carried` holds it (its buffer keeps the value a carry copied there).
 */
export function admitInputs(
  plan: Plan,
  inputs: Readonly<Record<string, HostValue>>,
  carried: ReadonlySet<string> = new Set(),
): Map<number, HostArray> {
  checkNames("input", inputs, plan.inputs);
  const out = new Map<number, HostArray>();
  for (const [name, entry] of Object.entries(plan.inputs)) {
    const value = Object.hasOwn(inputs, name) ? inputs[name] : undefined;
    if (value === undefined) {
      if (!entry.required || carried.has(name)) continue;
      throw new ExecutorError(
        EXECUTOR_CODES.missing,
        `missing input '${name}' (expected ${entry.dtype}${shapeText(entry.shape)})`,
      );
    }
    out.set(entry.buffer, admit("input", name, entry, value));
  }
  return out;
}

/** A carried value: after each run, output buffer `from` is copied into input buffer `to`. */
export interface CarryPair {
  readonly input: string;
  readonly from: number;
  readonly to: number;
  readonly bytes: number;
}

/**
 * Checks a carry table (input name → the output whose value the next run reads there, as
 * a recurrent state is carried from one step to the next) against the plan; RNN4305 when
 * a name is unknown or the two differ in dtype or size.
 */
export function carryPairs(plan: Plan, carry: Readonly<Record<string, string>>): CarryPair[] {
  return Object.entries(carry).map(([input, output]) => {
    const to = Object.hasOwn(plan.inputs, input) ? plan.inputs[input] : undefined;
    const from = Object.hasOwn(plan.outputs, output) ? plan.outputs[output] : undefined;
    if (
      !to ||
      !from ||
      to.dtype !== from.dtype ||
      elementCount(to.shape) !== elementCount(from.shape)
    )
      throw new ExecutorError(
        EXECUTOR_CODES.badPlan,
        `cannot carry output '${output}' into input '${input}': ${!to ? "no such input" : !from ? "no such output" : `${from.dtype}${shapeText(from.shape)} into ${to.dtype}${shapeText(to.shape)}`}`,
      );
    return { input, from: from.buffer, to: to.buffer, bytes: elementCount(to.shape) * 4 };
  });
}
