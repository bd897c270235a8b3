// Whole models on the CPU executor (runtime/cpu, the naive plan) against the reference
// interpreter in float32, with the tolerances of the WebGPU model tests: every PyTorch
// fixture (outputs and final states, max abs difference <= 1e-4), its backward graph
// (every gradient within 1e-4 of max(1, the largest gradient)), the decoders (greedy, beam,
// sampling: tokens exactly, logits <= 1e-4), and the textbook LSTM with its run time next to
// the reference interpreter's. No GPU needed.
import { afterAll, describe, expect, it } from "vitest";
import { withGradients } from "../../../compiler/autodiff/reverse.ts";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { planGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { CpuPlanExecutor } from "../../../runtime/cpu/executor.ts";
import { fromStored } from "../../../runtime/reference/run-model.ts";
import { tensor } from "../../../runtime/reference/tensor.ts";
import { fixtureNames, loadFixture } from "../../fixtures/fixtures.ts";
import { checkOk } from "../../support/check.ts";
import { randomWeights, seededRandom } from "../../support/random-weights.ts";
import { expectClose, runOnReference } from "../../codegen/wgsl/support.ts";
import { hostRecord, prepare, runOnCpu, textbookRun, type ModelRun } from "./support.ts";

/** Model outputs: max |got - want| <= 1e-4 (and ints exactly). */
const MODEL_TOLERANCE = { rtol: 0, atol: 1e-4 };

let worst = { abs: 0, where: "" };
let worstGrad = { rel: 0, where: "" };

function expectModelMatches(label: string, run: ModelRun) {
  const { graph, feeds } = prepare(run);
  const want = runOnReference(graph, feeds);
  const outputs = runOnCpu(graph, feeds);
  expect(Object.keys(outputs).sort()).toEqual(Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    const d = expectClose(`${label}: ${name}`, outputs[name], w, MODEL_TOLERANCE);
    if (d.maxAbs >= worst.abs) worst = { abs: d.maxAbs, where: `${label}: ${name}` };
  }
  return { want, outputs };
}

function fixtureRun(name: string): ModelRun {
  const fixture = loadFixture(name);
  const model = checkOk(fixture.json.spec).models[0]!;
  const inputs = new Map([...fixture.inputs].map(([n, t]) => [n, fromStored(t)] as const));
  const mode = model.inputs.some((i) => i.training && inputs.has(i.name)) ? "train" : "infer";
  const batch = [...inputs.values()][0]!.shape[0]!;
  return { model, weights: fixture.weights, batch, inputs, lengths: fixture.json.lengths, mode };
}

// Decoders, as in test/compiler/passes/decoding.test.ts: vocab 5, bos 1, eos 2.
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

describe("CPU executor on whole models (float32)", () => {
  it.each(fixtureNames())("PyTorch fixture %s", (name) => {
    expectModelMatches(name, fixtureRun(name));
  });

  it.each(fixtureNames())("backward graph of fixture %s", (name) => {
    const run = fixtureRun(name);
    const { graph, feeds } = prepare(run);
    const floatInputs = [...run.inputs].filter(([, t]) => t.dtype === "float").map(([n]) => n);
    const backward = withGradients(graph, { inputs: floatInputs });
    const random = seededRandom(17);
    for (const [input, node] of backward.inputs) {
      if (!input.startsWith("cotangent.")) continue;
      const size = node.shape.reduce((a, b) => a * b, 1);
      feeds.inputs![input] = tensor(
        "float",
        node.shape,
        Array.from({ length: size }, () => random() - 0.5),
      );
    }
    const want = runOnReference(backward, feeds);
    const outputs = runOnCpu(backward, feeds);
    let scale = 0;
    for (const [n, t] of Object.entries(want))
      if (n.startsWith("grad.")) for (const v of t.data) scale = Math.max(scale, Math.abs(v));
    for (const [n, w] of Object.entries(want)) {
      const d = expectClose(`${name} backward: ${n}`, outputs[n], w, {
        rtol: 0,
        atol: 1e-4 * Math.max(1, scale),
      });
      if (d.maxAbs / Math.max(1, scale) >= worstGrad.rel)
        worstGrad = { rel: d.maxAbs / Math.max(1, scale), where: `${name}: ${n}` };
    }
  });

  it.each(DECODERS.flatMap((c) => SEARCHES.map((s) => [c.name, s, c] as const)))(
    "decoder %s, search %s",
    (name, search, c) => {
      const model = c.model(search);
      const batch = 8;
      const { outputs } = expectModelMatches(`${name}, ${search}`, {
        model,
        weights: randomWeights(model.params, c.seed),
        batch,
        ...c.inputs(batch, c.seed + 1),
        mode: "infer",
        seed: 7,
      });
      // Not degenerate: the tokens vary.
      expect(new Set(outputs.tokens!.data).size).toBeGreaterThan(1);
    },
  );

  it("runs the textbook LSTM (examples/textbook.rnn) at batch 4, 20 steps", () => {
    const { graph, feeds } = textbookRun();
    let started = performance.now();
    const want = runOnReference(graph, feeds);
    const reference = performance.now() - started;
    started = performance.now();
    const plan = planGraph(graph);
    const executor = CpuPlanExecutor.create(plan);
    const setup = performance.now() - started;
    const inputs = hostRecord(feeds.inputs);
    const params = hostRecord(feeds.params);
    let outputs = executor.runSync(inputs, params);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      started = performance.now();
      outputs = executor.runSync(inputs, params);
      times.push(performance.now() - started);
    }
    for (const [name, w] of Object.entries(want))
      expectClose(`textbook: ${name}`, outputs[name], w, MODEL_TOLERANCE);
    times.sort((a, b) => a - b);
    console.log(
      `textbook LSTM on the CPU, batch 4, 20 steps: ${plan.dispatches.length} dispatches; ` +
        `run ${times[2]!.toFixed(1)} ms (median of 5, min ${times[0]!.toFixed(1)}; ` +
        `plan + create ${setup.toFixed(1)} ms); reference interpreter (float32) ${reference.toFixed(1)} ms`,
    );
  });

  afterAll(() => {
    if (worstGrad.where)
      console.log(
        `largest |CPU - reference| of a gradient, over max(1, the largest gradient): ${worstGrad.rel.toExponential(2)} (${worstGrad.where})`,
      );
    if (worst.where)
      console.log(
        `largest |CPU - reference| over all model outputs: ${worst.abs.toExponential(2)} (${worst.where})`,
      );
  });
});
