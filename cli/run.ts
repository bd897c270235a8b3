/**
 * `rnnc run SPEC --weights FILE.safetensors --input FILE.json`: runs a model on the reference
 * interpreter and prints (or writes) its outputs as JSON, so anyone can reproduce a result by
 * hand. The input file holds batch-major nested arrays, one per model input; sequences may
 * have different lengths (they are padded and their lengths taken), or `lengths` may say:
 *
 *   { "inputs": { "x": [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], [[0.7, 0.8, 0.9]]] },
 *     "lengths": { "T": [2, 1] } }
 */
import type { CheckedModel } from "../compiler/check/index.ts";
import { encoderStateSlots, stateSlotName } from "../compiler/passes/lower-encode.ts";
import { RUN_CODES, runReference, RunError } from "../compiler/driver/run-model.ts";
import { tensor, toNested, type Tensor } from "../runtime/reference/tensor.ts";
import { WeightsError } from "../runtime/weights/errors.ts";
import { readSafetensorsFileSync } from "../runtime/weights/safetensors-file.ts";
import type { Output } from "./check.ts";
import { readText, UsageError, writeTextAtomic } from "./io.ts";
import { loadModel } from "./spec.ts";

export interface RunCommandOptions {
  readonly weights: string;
  readonly input: string;
  readonly model?: string;
  readonly precision?: string;
  readonly mode?: string;
  readonly seed?: string;
  readonly output?: string;
}

class InputFileError extends Error {
  readonly code = RUN_CODES.badInputFile;
}

type Nested = number | Nested[];

/** The type of a model input, or of an encoder's initial state (`enc.initial_state.l0.h`). */
function inputType(
  model: CheckedModel,
  name: string,
): { dtype: "int" | "float"; time?: string; dims: readonly number[] } {
  const input = model.inputs.find((i) => i.name === name);
  if (input) return input.type;
  const slot = encoderStateSlots(model.encoders.values()).find(
    (s) => stateSlotName(s.prefix, "initial", s.state) === name,
  );
  if (slot) return { dtype: "float", dims: [slot.size] };
  throw new InputFileError(
    `input '${name}': the model has no input of this name (it has ${model.inputs.map((i) => i.name).join(", ")})`,
  );
}

/** Pads ragged sequences (axis 1 of a time-axis input) and returns their lengths. */
function toTensor(
  name: string,
  value: unknown,
  model: CheckedModel,
): { tensor: Tensor; lengths?: number[] } {
  const type = inputType(model, name);
  const where = (path: number[]) => `input '${name}'${path.map((i) => `[${i}]`).join("")}`;
  const rank = 1 + (type.time ? 1 : 0) + type.dims.length;
  const check = (v: unknown, depth: number, path: number[]): Nested => {
    if (depth === rank) {
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new InputFileError(`${where(path)}: expected a number, got ${JSON.stringify(v)}`);
      if (type.dtype === "int" && !Number.isInteger(v))
        throw new InputFileError(`${where(path)}: expected a whole number (a token id), got ${v}`);
      return v;
    }
    if (!Array.isArray(v))
      throw new InputFileError(
        `${where(path)}: expected an array (the input is ${type.dtype}[${["B", ...(type.time ? [type.time] : []), ...type.dims].join(", ")}]), got ${JSON.stringify(v)?.slice(0, 40)}`,
      );
    return v.map((x, i) => check(x, depth + 1, [...path, i]));
  };
  const nested = check(value, 0, []) as Nested[];
  const batch = nested.length;
  if (batch === 0) throw new InputFileError(`input '${name}': the batch is empty`);
  const lengths = type.time ? nested.map((seq) => (seq as Nested[]).length) : undefined;
  const steps = lengths ? Math.max(...lengths) : 0;
  const shape = [batch, ...(type.time ? [steps] : []), ...type.dims];
  const flat: number[] = [];
  const perStep = type.dims.reduce((a, b) => a * b, 1);
  const flatten = (v: Nested, depth: number, path: number[]) => {
    if (depth === rank) return void flat.push(v as number);
    const items = v as Nested[];
    const expected =
      depth === 0
        ? batch
        : depth === 1 && type.time
          ? items.length
          : type.dims[depth - 1 - (type.time ? 1 : 0)];
    if (items.length !== expected)
      throw new InputFileError(`${where(path)}: expected ${expected} values, got ${items.length}`);
    items.forEach((x, i) => flatten(x, depth + 1, [...path, i]));
    if (depth === 1 && type.time)
      for (let pad = items.length; pad < steps; pad++)
        flat.push(...new Array<number>(perStep).fill(0));
  };
  flatten(nested, 0, []);
  return { tensor: tensor(type.dtype, shape, flat), lengths };
}

function readInputs(path: string, model: CheckedModel) {
  let json: unknown;
  try {
    json = JSON.parse(readText(path));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new InputFileError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new InputFileError(`${path}: expected an object {"inputs": {...}, "lengths": {...}}`);
  const record = json as Record<string, unknown>;
  const raw = (record.inputs ?? record) as Record<string, unknown>;
  const inputs = new Map<string, Tensor>();
  const lengths: Record<string, number[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === "lengths" && record.inputs === undefined) continue;
    const converted = toTensor(name, value, model);
    inputs.set(name, converted.tensor);
    const axis = inputType(model, name).time;
    if (axis && converted.lengths) lengths[axis] = converted.lengths;
  }
  const given = record.lengths;
  if (given !== undefined) {
    if (typeof given !== "object" || given === null)
      throw new InputFileError(`${path}: "lengths" must map time axes to lists of lengths`);
    for (const [axis, list] of Object.entries(given)) {
      if (!Array.isArray(list))
        throw new InputFileError(`${path}: lengths of ${axis} must be a list`);
      lengths[axis] = list as number[];
    }
  }
  return { inputs, lengths };
}

export function runRun(spec: string, options: RunCommandOptions, io: Output): number {
  const precision = options.precision ?? "float64";
  if (precision !== "float64" && precision !== "float32")
    throw new UsageError(`--precision must be float64 or float32, got '${precision}'`);
  const mode = options.mode ?? "infer";
  if (mode !== "infer" && mode !== "train")
    throw new UsageError(`--mode must be infer or train, got '${mode}'`);
  const seed = options.seed === undefined ? 0 : Number(options.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new UsageError(`--seed must be a whole number, got '${options.seed}'`);

  const model = loadModel(spec, options.model, io);
  if (!model) return 1;
  try {
    const { inputs, lengths } = readInputs(options.input, model);
    const weights = readSafetensorsFileSync(options.weights).tensors;
    const result = runReference(model, { inputs, lengths, weights }, { precision, mode, seed });
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([name, t]) => [name, toNested(t)]),
    );
    const text = `${JSON.stringify({ model: model.name, precision, lengths: result.lengths, outputs })}\n`;
    if (options.output) writeTextAtomic(options.output, text);
    else io.out(text.trimEnd());
    return 0;
  } catch (e) {
    if (e instanceof RunError || e instanceof WeightsError || e instanceof InputFileError) {
      io.err(`${options.input}: error ${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
