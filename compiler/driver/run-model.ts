/**
 * Running a checked model on the reference interpreter: validate the inputs (names, dtypes,
 * shapes, lengths, token ids) and the weights (names, shapes, dtypes) with one clear error
 * per problem, lower and unroll for the inputs' batch and padded lengths, evaluate.
 *
 * Inputs are batch-major ([B, T, ...] for sequences); `lengths` gives each sequence's length
 * per time axis (default: the padded length). Weights are safetensors tensors under rnnc
 * parameter names.
 */
import type { CheckedModel } from "../check/model.ts";
import { encoderStateSlots, stateSlotName } from "../passes/lower-encode.ts";
import { compileModel } from "../pipeline.ts";
import { checkWeights, formatWeightProblems } from "../../runtime/weights/check.ts";
import type { Tensor as StoredTensor } from "../../runtime/weights/safetensors.ts";
import { evaluate } from "../../runtime/reference/interpreter.ts";
import { fromStored } from "../../runtime/reference/stored.ts";
import { tensor, type Precision, type Tensor } from "../../runtime/reference/tensor.ts";

export { fromStored };

export const RUN_CODES = {
  missingInput: "RNN4201",
  unexpectedInput: "RNN4202",
  wrongDtype: "RNN4203",
  wrongShape: "RNN4204",
  badLengths: "RNN4205",
  tokenOutOfRange: "RNN4206",
  badWeights: "RNN4207",
  badInputFile: "RNN4208",
} as const;

export class RunError extends Error {
  override readonly name = "RunError";

  constructor(
    readonly code: string,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface RunFeeds {
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly lengths?: Readonly<Record<string, readonly number[]>>;
  readonly weights: ReadonlyMap<string, StoredTensor>;
}

export interface RunOptions {
  readonly precision?: Precision;
  /** "train" feeds decoders their teacher sequences; "infer" (default) decodes freely. */
  readonly mode?: "infer" | "train" | "evaluate";
  readonly seed?: number;
  /** Training graphs: the trainer's step number, which draws the dropout masks (default 0). */
  readonly rngStep?: number;
  /** Also verify the IR after every pass. */
  readonly verify?: boolean;
}

export interface RunResult {
  readonly outputs: Readonly<Record<string, Tensor>>;
  readonly lengths: Readonly<Record<string, readonly number[]>>;
  readonly batch: number;
}

/** Token-id inputs and the vocabulary they index: `embedding(ids, vocab: V)`, `teacher: ids`. */
export function vocabularies(model: CheckedModel): Map<string, number> {
  const out = new Map<string, number>();
  const bound = (name: string, vocab: number) =>
    out.set(name, Math.min(vocab, out.get(name) ?? Infinity));
  for (const [expr] of model.callParams) {
    if (expr.kind !== "call" || expr.callee.name !== "embedding") continue;
    const ids = expr.args[0]?.value;
    const vocab = expr.args.find((a) => a.name?.name === "vocab")?.value;
    if (ids?.kind === "name" && vocab?.kind === "number") bound(ids.name, vocab.value);
  }
  for (const [expr, info] of model.decoders) {
    if (expr.kind !== "call" || info.vocab === undefined) continue;
    const teacher = expr.args.find((a) => a.name?.name === "teacher")?.value;
    if (teacher?.kind === "name") bound(teacher.name, info.vocab);
  }
  return out;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Checks the feeds against the model; returns batch, padded steps and lengths per axis. */
function admitInputs(model: CheckedModel, feeds: RunFeeds, mode: "infer" | "train" | "evaluate") {
  const problems: { code: string; message: string }[] = [];
  const needed = model.inputs.filter((i) => !i.training || mode !== "infer");
  const slots = new Map(
    encoderStateSlots(model.encoders.values()).map((s) => [
      stateSlotName(s.prefix, "initial", s.state),
      s.size,
    ]),
  );
  const known = new Set([...model.inputs.map((i) => i.name), ...slots.keys()]);
  for (const name of feeds.inputs.keys()) {
    if (!known.has(name))
      problems.push({
        code: RUN_CODES.unexpectedInput,
        message: `input '${name}': the model has no input of this name (it has ${[...known].join(", ")})`,
      });
  }
  let batch: number | undefined;
  const steps: Record<string, number> = {};
  for (const input of needed) {
    const given = feeds.inputs.get(input.name);
    const { type } = input;
    const want = `${type.dtype}[${["B", ...(type.time ? [type.time] : []), ...type.dims].join(", ")}]`;
    if (!given) {
      problems.push({
        code: RUN_CODES.missingInput,
        message: `input '${input.name}': missing (expected ${want})`,
      });
      continue;
    }
    if (given.dtype !== type.dtype) {
      problems.push({
        code: RUN_CODES.wrongDtype,
        message: `input '${input.name}': expected ${type.dtype} values, got ${given.dtype}`,
      });
      continue;
    }
    const rank = 1 + (type.time ? 1 : 0) + type.dims.length;
    const dims = given.shape.slice(type.time ? 2 : 1);
    if (
      given.shape.length !== rank ||
      dims.some((d, i) => d !== type.dims[i]) ||
      given.shape.some((d) => d < 1)
    ) {
      problems.push({
        code: RUN_CODES.wrongShape,
        message: `input '${input.name}': expected shape ${want}, got ${shapeText(given.shape)}`,
      });
      continue;
    }
    const b = given.shape[0]!;
    if (batch !== undefined && b !== batch) {
      problems.push({
        code: RUN_CODES.wrongShape,
        message: `input '${input.name}': batch ${b} differs from the other inputs' batch ${batch}`,
      });
      continue;
    }
    batch = b;
    if (type.time) {
      const t = given.shape[1]!;
      if (steps[type.time] !== undefined && steps[type.time] !== t) {
        problems.push({
          code: RUN_CODES.wrongShape,
          message: `input '${input.name}': ${t} steps along ${type.time}, but another input on ${type.time} has ${steps[type.time]}`,
        });
      } else steps[type.time] = t;
    }
  }
  const initialStates = new Set<string>();
  for (const [name, size] of slots) {
    const given = feeds.inputs.get(name);
    if (!given) continue;
    initialStates.add(name);
    if (
      given.dtype !== "float" ||
      given.shape.length !== 2 ||
      given.shape[0] !== (batch ?? given.shape[0]) ||
      given.shape[1] !== size
    ) {
      problems.push({
        code: RUN_CODES.wrongShape,
        message: `initial state '${name}': expected float[${batch ?? "B"}, ${size}], got ${given.dtype}${shapeText(given.shape)}`,
      });
    }
  }
  const lengths: Record<string, number[]> = {};
  for (const [axis, t] of Object.entries(steps)) {
    const given = feeds.lengths?.[axis];
    const list = given ? [...given] : Array.from({ length: batch ?? 0 }, () => t);
    if (list.length !== batch || list.some((l) => !Number.isInteger(l) || l < 1 || l > t)) {
      problems.push({
        code: RUN_CODES.badLengths,
        message: `lengths of ${axis}: expected ${batch} whole numbers in [1, ${t}], got [${list.join(", ")}]`,
      });
    }
    lengths[axis] = list;
  }
  for (const [name, vocab] of vocabularies(model)) {
    const given = feeds.inputs.get(name);
    if (!given || given.dtype !== "int") continue;
    const bad = given.data.findIndex((v) => v < 0 || v >= vocab);
    if (bad >= 0) {
      problems.push({
        code: RUN_CODES.tokenOutOfRange,
        message: `input '${name}': token id ${given.data[bad]} at flat position ${bad} is outside the vocabulary [0, ${vocab}) (padding too must hold a valid id, such as 0)`,
      });
    }
  }
  if (problems.length > 0) {
    const lines = problems.map((p) => p.message);
    throw new RunError(
      problems[0]!.code,
      lines.length === 1
        ? lines[0]!
        : `${lines.length} problems with the inputs:\n  ${lines.join("\n  ")}`,
      lines,
    );
  }
  return { batch: batch ?? 1, steps, lengths, initialStates };
}

/** Validates, lowers and evaluates `model` on the reference interpreter. */
export function runReference(
  model: CheckedModel,
  feeds: RunFeeds,
  options: RunOptions = {},
): RunResult {
  const mode = options.mode ?? "infer";
  const { batch, steps, lengths, initialStates } = admitInputs(model, feeds, mode);
  const problems = checkWeights(model.params, feeds.weights);
  if (problems.length > 0) {
    throw new RunError(
      RUN_CODES.badWeights,
      formatWeightProblems(problems, `of model '${model.name}'`),
      problems.map((p) => p.message),
    );
  }
  const graph = compileModel(model, {
    batch,
    steps,
    mode,
    seed: options.seed,
    verify: options.verify,
    initialStates,
  });
  const inputs: Record<string, Tensor> = {};
  for (const [name, t] of feeds.inputs) inputs[name] = t;
  if (graph.inputs.has("rng.step")) inputs["rng.step"] = tensor("int", [], [options.rngStep ?? 0]);
  for (const [axis, list] of Object.entries(lengths))
    inputs[`lengths.${axis}`] = tensor("int", [batch], list);
  const params: Record<string, Tensor> = {};
  for (const p of model.params) params[p.name] = fromStored(feeds.weights.get(p.name)!);
  return {
    outputs: evaluate(graph, { inputs, params }, { precision: options.precision }),
    lengths,
    batch,
  };
}
