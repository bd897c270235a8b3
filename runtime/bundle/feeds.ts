/**
 * A bundle model's inputs, checked against its manifest and padded to its plans' limits:
 * names (RNN4505/4506), dtypes (RNN4507), shapes and agreement on batch and steps (RNN4508),
 * batch and steps within the limits (RNN4509), lengths (RNN4510), token ids (RNN4511).
 * Padding rows hold zeros and length 1; padded steps are masked by the lengths, so the
 * results of the real rows do not depend on the padding.
 */
import type { HostArray } from "../webgpu/plan-io.ts";
import { BUNDLE_CODES, BundleError, type BundleCode } from "./errors.ts";
import type { TensorSpec } from "./manifest.ts";
import {
  flattenNested,
  isFiniteValue,
  NestedInputError,
  typeText,
  type InputType,
} from "./nested.ts";

/** An input value: nested arrays (sequences may be ragged), or flat data with its shape. */
export type InputValue =
  | readonly unknown[]
  | number
  | {
      readonly data: Float32Array | Int32Array | Float64Array | readonly number[];
      readonly shape: readonly number[];
    };

export interface Feeds {
  /** Batch and padded steps of the call (before padding to the limits). */
  readonly batch: number;
  readonly steps: Readonly<Record<string, number>>;
  readonly lengths: Readonly<Record<string, readonly number[]>>;
  /** Plan inputs, padded to `limits`: the model's inputs and `lengths.<axis>`. */
  readonly host: Record<string, HostArray>;
}

export interface Limits {
  readonly batch: number;
  readonly steps: Readonly<Record<string, number>>;
}

function fail(code: BundleCode, message: string): never {
  throw new BundleError(code, message);
}

function typeOf(spec: TensorSpec, withTime: boolean): InputType {
  const dims = spec.shape.slice(spec.time ? 2 : 1) as number[];
  return { dtype: spec.dtype, time: withTime ? spec.time : undefined, dims };
}

const ARRAYS = [Float32Array, Float64Array, Int32Array];

/** `{data, shape}`: data a typed array or an array of numbers, shape whole numbers. */
function flatParts(spec: TensorSpec, value: { data: unknown; shape: unknown }) {
  const { data, shape } = value;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 1))
    fail(
      BUNDLE_CODES.wrongShape,
      `input '${spec.name}': shape must be a list of whole numbers of at least 1, got ${JSON.stringify(shape)?.slice(0, 60)}`,
    );
  if (!ARRAYS.some((A) => data instanceof A) && !Array.isArray(data))
    fail(
      BUNDLE_CODES.wrongDtype,
      `input '${spec.name}': data must be a Float32Array, Int32Array, Float64Array or an array of numbers`,
    );
  const values = data as Float32Array | Float64Array | Int32Array | readonly unknown[];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isFiniteValue(v))
      fail(
        BUNDLE_CODES.wrongDtype,
        `input '${spec.name}': value ${i} is ${typeof v === "number" ? v : JSON.stringify(v)?.slice(0, 30)}, not a finite float32 number`,
      );
  }
  return { data: values as Float32Array | Float64Array | Int32Array | readonly number[], shape };
}

function flat(spec: TensorSpec, type: InputType, value: InputValue) {
  if (typeof value === "object" && value !== null && "data" in value && "shape" in value) {
    const { data, shape } = flatParts(spec, value);
    if (spec.dtype === "int" && (data instanceof Float32Array || data instanceof Float64Array))
      fail(
        BUNDLE_CODES.wrongDtype,
        `input '${spec.name}': expected int token ids (an Int32Array), got ${data.constructor.name}`,
      );
    if (spec.dtype === "float" && data instanceof Int32Array)
      fail(
        BUNDLE_CODES.wrongDtype,
        `input '${spec.name}': expected float values, got an Int32Array`,
      );
    const rank = 1 + (type.time ? 1 : 0) + type.dims.length;
    const dims = shape.slice(type.time ? 2 : 1);
    const size = shape.reduce((a, b) => a * b, 1);
    if (
      shape.length !== rank ||
      dims.some((d, i) => d !== type.dims[i]) ||
      shape.some((d) => d < 1) ||
      data.length !== size
    )
      fail(
        BUNDLE_CODES.wrongShape,
        `input '${spec.name}': expected shape ${typeText(type)}, got [${shape.join(", ")}] with ${data.length} values`,
      );
    if (spec.dtype === "int" && Array.from(data).some((v) => !Number.isInteger(v)))
      fail(BUNDLE_CODES.wrongDtype, `input '${spec.name}': expected whole numbers (token ids)`);
    return { shape: [...shape], values: data, lengths: undefined };
  }
  try {
    return flattenNested(spec.name, type, value);
  } catch (e) {
    if (!(e instanceof NestedInputError)) throw e;
    fail(e.kind === "dtype" ? BUNDLE_CODES.wrongDtype : BUNDLE_CODES.wrongShape, e.message);
  }
}

/**
 * Nested sequences beyond the limits are refused before they are flattened: padding ragged
 * ones would allocate batch × longest × width values first.
 */
function withinLimits(
  spec: TensorSpec,
  type: InputType,
  value: readonly unknown[],
  limits: Limits,
) {
  if (value.length > limits.batch)
    fail(
      BUNDLE_CODES.beyondLimit,
      `input '${spec.name}': batch ${value.length} is beyond the bundle's limit of ${limits.batch} sequences (compile with a larger --batch)`,
    );
  const limit = type.time === undefined ? undefined : limits.steps[type.time];
  if (limit === undefined) return;
  for (const seq of value)
    if (Array.isArray(seq) && seq.length > limit)
      fail(
        BUNDLE_CODES.beyondLimit,
        `input '${spec.name}': ${seq.length} steps is beyond the bundle's limit of ${limit} along ${type.time} (compile with --steps ${type.time}=${seq.length})`,
      );
}

/**
 * Checks `inputs` against `specs` and pads them to `limits`. `perStep` drops the time axis
 * (a stream's step takes [B, ...] for a [B, T, ...] input).
 */
export function admitFeeds(
  specs: readonly TensorSpec[],
  inputs: Readonly<Record<string, InputValue>>,
  givenLengths: Readonly<Record<string, readonly number[]>> | undefined,
  limits: Limits,
  perStep = false,
): Feeds {
  const known = specs.map((s) => s.name);
  for (const name of Object.keys(inputs))
    if (!known.includes(name))
      fail(
        BUNDLE_CODES.unknownInput,
        `input '${name}': the model has no input of this name (it has ${known.join(", ") || "none"})`,
      );
  let batch: number | undefined;
  const steps: Record<string, number> = {};
  const lengths: Record<string, number[]> = {};
  const flats = specs.map((spec) => {
    const type = typeOf(spec, !perStep);
    const value = Object.hasOwn(inputs, spec.name) ? inputs[spec.name] : undefined;
    if (value === undefined)
      fail(BUNDLE_CODES.missingInput, `input '${spec.name}': missing (expected ${typeText(type)})`);
    if (Array.isArray(value)) withinLimits(spec, type, value, limits);
    const f = flat(spec, type, value);
    const b = f.shape[0]!;
    if (batch !== undefined && b !== batch)
      fail(
        BUNDLE_CODES.wrongShape,
        `input '${spec.name}': batch ${b} differs from the other inputs' batch ${batch}`,
      );
    batch = b;
    if (b > limits.batch)
      fail(
        BUNDLE_CODES.beyondLimit,
        `input '${spec.name}': batch ${b} is beyond the bundle's limit of ${limits.batch} sequences (compile with a larger --batch)`,
      );
    if (type.time) {
      const t = f.shape[1]!;
      const limit = limits.steps[type.time]!;
      if (steps[type.time] !== undefined && steps[type.time] !== t)
        fail(
          BUNDLE_CODES.wrongShape,
          `input '${spec.name}': ${t} steps along ${type.time}, another input has ${steps[type.time]}`,
        );
      if (t > limit)
        fail(
          BUNDLE_CODES.beyondLimit,
          `input '${spec.name}': ${t} steps is beyond the bundle's limit of ${limit} along ${type.time} (compile with --steps ${type.time}=${t})`,
        );
      steps[type.time] = t;
      if (f.lengths) lengths[type.time] = f.lengths;
    }
    if (spec.vocab !== undefined) {
      const values = Array.from(f.values as ArrayLike<number>);
      const bad = values.findIndex((v) => v < 0 || v >= spec.vocab!);
      if (bad >= 0)
        fail(
          BUNDLE_CODES.tokenOutOfRange,
          `input '${spec.name}': token id ${values[bad]} at flat position ${bad} is outside the vocabulary [0, ${spec.vocab})`,
        );
    }
    return { spec, type, f };
  });
  const b = batch ?? 1;
  const host: Record<string, HostArray> = {};
  for (const { spec, type, f } of flats) {
    const perRow = type.dims.reduce((x, y) => x * y, 1);
    const t = type.time ? steps[type.time]! : 1;
    const limitT = type.time ? limits.steps[type.time]! : 1;
    const out =
      spec.dtype === "int"
        ? new Int32Array(limits.batch * limitT * perRow)
        : new Float32Array(limits.batch * limitT * perRow);
    for (let row = 0; row < b; row++)
      for (let s = 0; s < t; s++)
        for (let k = 0; k < perRow; k++)
          out[(row * limitT + s) * perRow + k] = Number(
            (f.values as ArrayLike<number>)[(row * t + s) * perRow + k],
          );
    host[spec.name] = out;
  }
  if (givenLengths !== undefined && (typeof givenLengths !== "object" || givenLengths === null))
    fail(BUNDLE_CODES.badLengths, "lengths must map time axes to lists, e.g. { T: [5, 3] }");
  for (const [axis, t] of Object.entries(steps)) {
    const given: unknown =
      givenLengths && Object.hasOwn(givenLengths, axis) ? givenLengths[axis] : undefined;
    if (given !== undefined && !Array.isArray(given))
      fail(
        BUNDLE_CODES.badLengths,
        `lengths of ${axis}: expected a list, got ${JSON.stringify(given)?.slice(0, 40)}`,
      );
    const list: unknown[] = given ? [...given] : (lengths[axis] ?? new Array<number>(b).fill(t));
    if (
      list.length !== b ||
      list.some((l) => !Number.isInteger(l) || (l as number) < 1 || (l as number) > t)
    )
      fail(
        BUNDLE_CODES.badLengths,
        `lengths of ${axis}: expected ${b} whole numbers in [1, ${t}], got [${list.slice(0, 20).join(", ")}${list.length > 20 ? ", ..." : ""}]`,
      );
    const ok = list as number[];
    lengths[axis] = ok;
    host[`lengths.${axis}`] = Int32Array.from({ length: limits.batch }, (_, i) => ok[i] ?? 1);
  }
  for (const axis of Object.keys(givenLengths ?? {}))
    if (steps[axis] === undefined)
      fail(BUNDLE_CODES.badLengths, `lengths of ${axis}: the model has no input along ${axis}`);
  return { batch: b, steps, lengths, host };
}
