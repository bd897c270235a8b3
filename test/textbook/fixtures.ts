/**
 * The textbook fixtures (test/fixtures/textbook, written by make_textbook_fixtures.py from the
 * chapter's own PyTorch code): each case's spec and model, its weights mapped from PyTorch
 * names to rnnc parameters, the inputs rnnc reads, and PyTorch's results (float64 on the
 * float32 weights: `expected`; PyTorch in float32: `torch32`).
 *
 * Weights are mapped in two ways, as the JSON says: `modules` are torch.nn modules that
 * runtime/weights/torch-names.ts maps (nn.LSTM, nn.GRU, nn.Linear, nn.Embedding), and `rename`
 * maps a tensor whose layout no stock module has (VanillaRNN's i2h over cat(input, hidden),
 * the Seq2Seq decoder's gates) to rnnc names, split into equal row blocks. Anything else
 * is already an rnnc name (the Seq2Seq's identity embedding).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CheckedModel } from "../../compiler/check/model.ts";
import { fromStored } from "../../compiler/driver/run-model.ts";
import type { Tensor } from "../../runtime/reference/tensor.ts";
import {
  numel,
  readSafetensors,
  type Tensor as StoredTensor,
  type TensorData,
} from "../../runtime/weights/safetensors.ts";
import { fromTorch, type TorchModule } from "../../runtime/weights/torch-names.ts";
import { checkOk } from "../support/check.ts";

export const TEXTBOOK_FIXTURES = fileURLToPath(new URL("../fixtures/textbook/", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface TextbookJson {
  readonly name: string;
  readonly section: string;
  readonly spec: string;
  readonly model: string;
  readonly torch_call: string;
  readonly weights: {
    readonly modules: readonly TorchModule[];
    readonly rename: Readonly<Record<string, readonly string[]>>;
  };
  readonly inputs?: Readonly<Record<string, string>>;
  readonly lengths?: Readonly<Record<string, readonly number[]>>;
  readonly mode?: "infer" | "train";
  readonly expected: Readonly<Record<string, string>>;
  readonly torch32: Readonly<Record<string, string>>;
  readonly tolerance: number;
  readonly compare?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The training case: each batch's tensors by input name. */
  readonly batches?: readonly { readonly text: string; readonly label: string }[];
  readonly optimizer?: { readonly kind: "adam"; readonly lr: number };
  readonly clip?: number;
  readonly notes?: string;
}

export interface TextbookFixture {
  readonly json: TextbookJson;
  readonly model: CheckedModel;
  readonly tensors: ReadonlyMap<string, StoredTensor>;
  /** Weights under rnnc parameter names, every parameter of the model. */
  readonly weights: ReadonlyMap<string, StoredTensor>;
  /** The inputs the model declares (others in the file fed PyTorch only). */
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly expected: ReadonlyMap<string, Tensor>;
  readonly torch32: ReadonlyMap<string, Tensor>;
}

/** The spec's model named `name`, checked. */
export function specModel(spec: string, name: string): CheckedModel {
  const models = checkOk(readFileSync(`${ROOT}${spec}`, "utf8")).models;
  const model = models.find((m) => m.name === name);
  if (!model) throw new Error(`${spec} has no model '${name}'`);
  return model;
}

function rowBlocks(t: StoredTensor, n: number): StoredTensor[] {
  const shape = [t.shape[0]! / n, ...t.shape.slice(1)];
  const size = numel(shape);
  return Array.from({ length: n }, (_, j) => ({
    dtype: t.dtype,
    shape,
    data: t.data.slice(j * size, (j + 1) * size) as TensorData,
  }));
}

/** PyTorch's tensors (names without `weight.`) → rnnc's, checked against the model. */
export function mapWeights(
  json: Pick<TextbookJson, "name" | "weights">,
  stored: ReadonlyMap<string, StoredTensor>,
  model: CheckedModel,
): Map<string, StoredTensor> {
  const renamed = new Map<string, StoredTensor>();
  for (const [name, t] of stored) {
    const to = json.weights.rename[name];
    if (!to) renamed.set(name, t);
    else rowBlocks(t, to.length).forEach((block, j) => renamed.set(to[j]!, block));
  }
  const weights = fromTorch(renamed, json.weights.modules, { unmapped: "keep" });
  const problems: string[] = [];
  for (const p of model.params) {
    const w = weights.get(p.name);
    if (!w) problems.push(`${p.name}: missing`);
    else if (w.shape.join() !== p.shape.join())
      problems.push(`${p.name}: shape [${w.shape.join(", ")}], want [${p.shape.join(", ")}]`);
  }
  const names = new Set(model.params.map((p) => p.name));
  for (const name of weights.keys())
    if (!names.has(name)) problems.push(`${name}: not a parameter`);
  if (problems.length > 0) throw new Error(`fixture ${json.name}: ${problems.join("; ")}`);
  return weights;
}

export function loadTextbookFixture(name: string): TextbookFixture {
  const json = JSON.parse(readFileSync(`${TEXTBOOK_FIXTURES}${name}.json`, "utf8")) as TextbookJson;
  const file = `${TEXTBOOK_FIXTURES}${name}.safetensors`;
  const { tensors } = readSafetensors(readFileSync(file), file);
  const model = specModel(json.spec, json.model);
  const stored = new Map(
    [...tensors]
      .filter(([n]) => n.startsWith("weight."))
      .map(([n, t]) => [n.slice("weight.".length), t] as const),
  );
  const pick = (map: Readonly<Record<string, string>> | undefined) =>
    new Map(
      Object.entries(map ?? {}).map(([key, tensorName]) => {
        const t = tensors.get(tensorName);
        if (!t) throw new Error(`fixture ${name}: no tensor '${tensorName}'`);
        return [key, fromStored(t)] as const;
      }),
    );
  const declared = new Set(model.inputs.map((i) => i.name));
  const inputs = new Map([...pick(json.inputs)].filter(([n]) => declared.has(n)));
  return {
    json,
    model,
    tensors,
    weights: mapWeights(json, stored, model),
    inputs,
    expected: pick(json.expected),
    torch32: pick(json.torch32),
  };
}
