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
import { flattenNested, NestedInputError, type InputType } from "../runtime/bundle/nested.ts";
import { tensor, toNested, type Tensor } from "../runtime/reference/tensor.ts";
import { WeightsError } from "../runtime/weights/errors.ts";
import { readSafetensorsFileSync } from "../runtime/weights/safetensors-file.ts";
import type { Output } from "./check.ts";
import { readText, UsageError, writeTextAtomic } from "./io.ts";
import { loadModel } from "./spec.ts";

export interface RunCommandOptions {
  readonly weights?: string;
  readonly input: string;
  readonly backend?: string;
  readonly model?: string;
  readonly precision?: string;
  readonly mode?: string;
  readonly seed?: string;
  readonly output?: string;
}

export class InputFileError extends Error {
  readonly code = RUN_CODES.badInputFile;
}

/** The type of a model input, or of an encoder's initial state (`enc.initial_state.l0.h`). */
function inputType(model: CheckedModel, name: string): InputType {
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
  try {
    const flat = flattenNested(name, type, value);
    return { tensor: tensor(type.dtype, flat.shape, flat.values), lengths: flat.lengths };
  } catch (e) {
    if (e instanceof NestedInputError) throw new InputFileError(e.message);
    throw e;
  }
}

/** An input file's raw parts: the inputs by name and the lengths given, unchecked. */
export function readInputFile(path: string): {
  inputs: Record<string, unknown>;
  lengths: Record<string, number[]>;
} {
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
  const inputs = { ...((record.inputs ?? record) as Record<string, unknown>) };
  if (record.inputs === undefined) delete inputs.lengths;
  const lengths: Record<string, number[]> = {};
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

function readInputs(path: string, model: CheckedModel) {
  const file = readInputFile(path);
  const inputs = new Map<string, Tensor>();
  const lengths: Record<string, number[]> = {};
  for (const [name, value] of Object.entries(file.inputs)) {
    const converted = toTensor(name, value, model);
    inputs.set(name, converted.tensor);
    const axis = inputType(model, name).time;
    if (axis && converted.lengths) lengths[axis] = converted.lengths;
  }
  return { inputs, lengths: { ...lengths, ...file.lengths } };
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

  const weightsPath = options.weights;
  if (!weightsPath) throw new UsageError("running a spec needs --weights FILE.safetensors");
  const model = loadModel(spec, options.model, io);
  if (!model) return 1;
  try {
    const { inputs, lengths } = readInputs(options.input, model);
    const weights = readSafetensorsFileSync(weightsPath).tensors;
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
