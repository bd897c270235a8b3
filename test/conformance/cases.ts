/**
 * The one case list of the conformance suite (conformance.test.ts runs each case on every
 * backend against the reference interpreter):
 *
 * - fixture:  every PyTorch fixture (test/fixtures), forward: outputs and final states;
 * - backward: every fixture's backward graph (compiler/autodiff withGradients: the gradients of
 *             Σ sum(output · cotangent), random cotangents, w.r.t. every param and float input);
 * - stdlib:   every cell of dsl/stdlib/*.rnn in a small encoder, one layer unidirectional and two
 *             layers bidirectional, variable lengths, initial weights (runtime/weights/init.ts);
 * - example:  every model of examples/*.rnn at batch 2 and 4 steps with initial weights, mode
 *             "infer" (decoders decode with their own search), and mode "evaluate" (teacher
 *             forcing and the losses) where the model has training inputs;
 * - decoder:  the decoders of test/compiler/passes/decoding.test.ts (gru and lstm cells, every
 *             attention, generators with and without init) under greedy, beam and sampling.
 *
 * Cases are built lazily (`prepare`), so listing them costs nothing.
 */
import { readdirSync, readFileSync } from "node:fs";
import { withGradients } from "../../compiler/autodiff/reverse.ts";
import { prelude } from "../../compiler/check/index.ts";
import type { CheckedModel } from "../../compiler/check/model.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { compileModel } from "../../compiler/pipeline.ts";
import { fromStored, vocabularies } from "../../compiler/driver/run-model.ts";
import { tensor, type Tensor } from "../../runtime/reference/tensor.ts";
import { initialWeights } from "../../runtime/weights/init.ts";
import type { Tensor as StoredTensor } from "../../runtime/weights/safetensors.ts";
import { fixtureNames, loadFixture } from "../fixtures/fixtures.ts";
import { checkOk } from "../support/check.ts";
import { randomWeights, seededRandom } from "../support/random-weights.ts";
import type { Feeds } from "./backends.ts";

/** Float outputs: max |backend - reference| (float32 both) at most this. */
export const ATOL = 1e-4;

export type Group = "fixture" | "backward" | "stdlib" | "example" | "decoder";

export interface Prepared {
  /** The unrolled graph (the reference runs it, and the naive schedule). */
  readonly graph: Graph;
  /** The same model before unrolling (what the fused schedules plan). */
  readonly scanForm?: Graph;
  readonly feeds: Feeds;
  /**
   * Token outputs and the logits each token was chosen from ([...tokens.shape, vocab]): where
   * a backend's token differs from the reference's, compare.ts excuses the rest of that row
   * only at a near tie of the reference's logits.
   */
  readonly decisions?: readonly { readonly tokens: string; readonly logits: string }[];
  /** A property of the case itself, checked once on the reference's outputs. */
  readonly sanity?: (want: Readonly<Record<string, Tensor>>) => void;
}

export interface ConformanceCase {
  readonly name: string;
  readonly group: Group;
  prepare(): Prepared;
}

interface ModelRun {
  readonly model: CheckedModel;
  readonly weights: ReadonlyMap<string, StoredTensor>;
  readonly batch: number;
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly lengths?: Readonly<Record<string, readonly number[]>>;
  readonly mode: "infer" | "train" | "evaluate";
  readonly seed?: number;
}

/** The unrolled graph and its feeds, as runReference builds them. */
function prepareRun(run: ModelRun): { graph: Graph; scanForm: Graph; feeds: Feeds } {
  const steps: Record<string, number> = {};
  const inputs: Record<string, Tensor> = {};
  for (const [name, t] of run.inputs) inputs[name] = t;
  for (const input of run.model.inputs) {
    const given = run.inputs.get(input.name);
    if (!given || !input.type.time) continue;
    const axis = input.type.time;
    steps[axis] = given.shape[1]!;
    const lengths = run.lengths?.[axis] ?? Array<number>(run.batch).fill(steps[axis]);
    inputs[`lengths.${axis}`] = tensor("int", [run.batch], lengths);
  }
  const options = {
    batch: run.batch,
    steps,
    mode: run.mode,
    seed: run.seed ?? 0,
    initialStates: new Set([...run.inputs.keys()].filter((n) => n.includes(".initial_state."))),
  };
  const graph = compileModel(run.model, options);
  const scanForm = compileModel(run.model, { ...options, until: "hoist-input-projections" });
  if (graph.inputs.has("rng.step")) inputs["rng.step"] = tensor("int", [], [0]);
  const params: Record<string, Tensor> = {};
  for (const p of run.model.params) params[p.name] = fromStored(run.weights.get(p.name)!);
  return { graph, scanForm, feeds: { inputs, params } };
}

/** Pairs every int output [...S] with a float output [...S, V] of the same graph. */
function decisionsOf(graph: Graph): Prepared["decisions"] {
  const outputs = [...graph.outputs].map(([name, node]) => ({ name, node }));
  const out: { tokens: string; logits: string }[] = [];
  for (const t of outputs) {
    if (t.node.dtype !== "int") continue;
    const logits = outputs.find(
      (l) =>
        l.node.dtype === "float" &&
        l.node.shape.length === t.node.shape.length + 1 &&
        t.node.shape.every((d, i) => l.node.shape[i] === d),
    );
    if (logits) out.push({ tokens: t.name, logits: logits.name });
  }
  return out;
}

function model(run: ModelRun, sanity?: Prepared["sanity"]): Prepared {
  const { graph, scanForm, feeds } = prepareRun(run);
  return { graph, scanForm, feeds, decisions: decisionsOf(graph), sanity };
}

// ---- PyTorch fixtures, forward and backward ----

function fixtureRun(name: string): ModelRun {
  const fixture = loadFixture(name);
  const checked = checkOk(fixture.json.spec).models[0]!;
  const inputs = new Map([...fixture.inputs].map(([n, t]) => [n, fromStored(t)] as const));
  const mode = checked.inputs.some((i) => i.training && inputs.has(i.name)) ? "train" : "infer";
  const batch = [...inputs.values()][0]!.shape[0]!;
  return {
    model: checked,
    weights: fixture.weights,
    batch,
    inputs,
    lengths: fixture.json.lengths,
    mode,
  };
}

function backward(name: string): Prepared {
  const run = fixtureRun(name);
  const { graph, scanForm, feeds } = prepareRun(run);
  const floatInputs = [...run.inputs].filter(([, t]) => t.dtype === "float").map(([n]) => n);
  const grads = withGradients(graph, { inputs: floatInputs });
  // The same gradients in scan form: a backward scan per recurrence.
  const scanGrads = withGradients(scanForm, { inputs: floatInputs });
  const random = seededRandom(17);
  for (const [input, node] of grads.inputs) {
    if (!input.startsWith("cotangent.")) continue;
    const size = node.shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: size }, () => random() - 0.5);
    feeds.inputs![input] = tensor("float", node.shape, values);
  }
  return { graph: grads, scanForm: scanGrads, feeds };
}

// ---- stdlib cells ----

const CELL_SIZES: Readonly<Record<string, number>> = { hidden: 4, proj: 3 };

function cellModel(cell: string, bidirectional: boolean): CheckedModel {
  const info = prelude().get(cell)!;
  const sizes = info.sizes.map((s) => `${s.option}: ${CELL_SIZES[s.option] ?? 3}`).join(", ");
  const layout = bidirectional ? ", layers: 2, bidirectional" : "";
  return checkOk(`model cell_${cell} {
  input x: float[T, 3]
  enc = encode(x, cell: ${cell}(${sizes})${layout})
  output outputs = enc.outputs
  output final = enc.final
}`).models[0]!;
}

function stdlibCase(cell: string, bidirectional: boolean, seed: number): Prepared {
  const checked = cellModel(cell, bidirectional);
  const [batch, steps] = [3, 5];
  const random = seededRandom(seed);
  const x = Array.from({ length: batch * steps * 3 }, () => 4 * random() - 2);
  return model({
    model: checked,
    weights: initialWeights(checked.params, seed),
    batch,
    inputs: new Map([["x", tensor("float", [batch, steps, 3], x)]]),
    lengths: { T: [5, 2, 4] },
    mode: "infer",
  });
}

// ---- examples ----

export const EXAMPLES_DIR = new URL("../../examples/", import.meta.url);

export function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith(".rnn"))
    .sort();
}

/** Random inputs for `checked` at batch 2 and 4 steps (lengths 4 and 2). */
function exampleInputs(checked: CheckedModel, training: boolean, seed: number) {
  const [batch, steps] = [2, 4];
  const random = seededRandom(seed);
  const vocab = vocabularies(checked);
  const inputs = new Map<string, Tensor>();
  const lengths: Record<string, number[]> = {};
  for (const input of checked.inputs) {
    if (input.training && !training) continue;
    const { time, dtype, dims } = input.type;
    const shape = [batch, ...(time ? [steps] : []), ...dims];
    const size = shape.reduce((a, b) => a * b, 1);
    // Token ids within the vocabulary they index; class targets and labels in [0, 2).
    const bound = vocab.get(input.name) ?? 2;
    const values = Array.from({ length: size }, () =>
      dtype === "int" ? Math.floor(random() * bound) : input.training ? random() : 2 * random() - 1,
    );
    inputs.set(input.name, tensor(dtype, shape, values));
    if (time) lengths[time] = [steps, 2];
  }
  return { batch, inputs, lengths };
}

function exampleCase(file: string, index: number, mode: "infer" | "evaluate"): Prepared {
  const source = readFileSync(new URL(file, EXAMPLES_DIR), "utf8");
  const checked = checkOk(source).models[index]!;
  const seed = 31 * index + file.length;
  return model({
    model: checked,
    weights: initialWeights(checked.params, seed),
    ...exampleInputs(checked, mode === "evaluate", seed),
    mode,
    seed: 7,
  });
}

// ---- decoders (as in test/compiler/passes/decoding.test.ts: vocab 5, bos 1, eos 2) ----

const VOCAB = 5;

function seq2seq(attention: string, search: string, cell: string): CheckedModel {
  return checkOk(`model m {
  input src: int[S]
  input tgt: int[T] for training
  enc = encode(embedding(src, vocab: 7, dim: 3), cell: ${cell}(hidden: 3))
  dec = decode(from: enc, cell: ${cell}(hidden: 3), attention: ${attention}, vocab: ${VOCAB}, embed: 2, bos: 1, eos: 2, max_steps: 6, teacher: tgt, search: ${search})
  output tokens = dec.tokens
  output logits = dec.logits
}`).models[0]!;
}

function generator(withInit: boolean, search: string): CheckedModel {
  return checkOk(`model g {
  ${withInit ? "input z: float[3]" : ""}
  input tgt: int[T] for training
  dec = generate(cell: gru(hidden: 3), ${withInit ? "init: z, " : ""}vocab: ${VOCAB}, embed: 2, bos: 1, eos: 2, max_steps: 6, teacher: tgt, search: ${search})
  output tokens = dec.tokens
  output logits = dec.logits
}`).models[0]!;
}

const SEARCHES = [
  "greedy",
  "beam(width: 3, length_penalty: 1)",
  "sample(temperature: 0.8, top_k: 3)",
];

interface DecoderCase {
  readonly name: string;
  readonly model: (search: string) => CheckedModel;
  readonly seed: number;
  readonly inputs: (batch: number, seed: number) => Pick<ModelRun, "inputs" | "lengths">;
}

function sources(batch: number, seed: number): Pick<ModelRun, "inputs" | "lengths"> {
  const random = seededRandom(seed);
  const ids = Array.from({ length: batch * 4 }, () => Math.floor(random() * 7));
  const lengths = Array.from({ length: batch }, (_, b) =>
    b === 0 ? 4 : 1 + Math.floor(random() * 4),
  );
  return { inputs: new Map([["src", tensor("int", [batch, 4], ids)]]), lengths: { S: lengths } };
}

const DECODERS: readonly DecoderCase[] = [
  ...(
    [
      ["none", 118],
      ["luong", 101],
      ["bahdanau", 111],
    ] as const
  ).map(([attention, seed]) => ({
    name: `decode, gru, attention: ${attention}`,
    model: (search: string) => seq2seq(attention, search, "gru"),
    seed,
    inputs: sources,
  })),
  {
    name: "decode, lstm, attention: bahdanau",
    model: (search) => seq2seq("bahdanau", search, "lstm"),
    seed: 102,
    inputs: sources,
  },
  {
    name: "generate with init",
    model: (search) => generator(true, search),
    seed: 103,
    inputs: (batch, seed) => {
      const random = seededRandom(seed);
      const z = Array.from({ length: batch * 3 }, () => 3 * random() - 1.5);
      return { inputs: new Map([["z", tensor("float", [batch, 3], z)]]) };
    },
  },
  {
    name: "generate from zeros",
    model: (search) => generator(false, search),
    seed: 238,
    inputs: () => ({ inputs: new Map() }),
  },
];

function decoderCase(c: DecoderCase, search: string): Prepared {
  const checked = c.model(search);
  const batch = 8;
  return model(
    {
      model: checked,
      weights: randomWeights(checked.params, c.seed),
      batch,
      ...c.inputs(batch, c.seed + 1),
      mode: "infer",
      seed: 7,
    },
    (want) => {
      // Not degenerate: the tokens vary.
      if (new Set(want.tokens!.data).size < 2)
        throw new Error("the reference's tokens are all one");
    },
  );
}

// ---- the list ----

export function conformanceCases(): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const name of fixtureNames()) {
    cases.push({
      name: `fixture ${name}`,
      group: "fixture",
      prepare: () => model(fixtureRun(name)),
    });
    cases.push({
      name: `fixture ${name}, backward`,
      group: "backward",
      prepare: () => backward(name),
    });
  }
  [...prelude().keys()].forEach((cell, i) => {
    for (const bi of [false, true])
      cases.push({
        name: `stdlib ${cell}, ${bi ? "2 layers bidirectional" : "unidirectional"}`,
        group: "stdlib",
        prepare: () => stdlibCase(cell, bi, 1000 + 2 * i + (bi ? 1 : 0)),
      });
  });
  for (const file of exampleFiles()) {
    const models = checkOk(readFileSync(new URL(file, EXAMPLES_DIR), "utf8")).models;
    models.forEach((m, index) => {
      const label = `example ${file}${models.length > 1 ? ` ${m.name}` : ""}`;
      cases.push({
        name: `${label}, infer`,
        group: "example",
        prepare: () => exampleCase(file, index, "infer"),
      });
      if (m.inputs.some((i) => i.training))
        cases.push({
          name: `${label}, evaluate`,
          group: "example",
          prepare: () => exampleCase(file, index, "evaluate"),
        });
    });
  }
  for (const c of DECODERS)
    for (const search of SEARCHES)
      cases.push({
        name: `decoder ${c.name}, search ${search}`,
        group: "decoder",
        prepare: () => decoderCase(c, search),
      });
  return cases;
}
