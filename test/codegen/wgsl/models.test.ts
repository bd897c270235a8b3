// Whole models on the naive WebGPU schedule (one dispatch per op of the unrolled graph)
// against the reference interpreter in float32: every PyTorch fixture (outputs and final
// states, max abs difference <= 1e-4), its backward graph (autodiff, random cotangents:
// every gradient within 1e-4 of max(1, the largest gradient)), the decoders (greedy, beam,
// sampling: tokens exactly, logits <= 1e-4), and the textbook LSTM with its dispatch count
// and run time printed. The largest differences seen are printed at the end.
import { readFileSync } from "node:fs";
import { afterAll, expect, it, vi } from "vitest";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { withGradients } from "../../../compiler/autodiff/reverse.ts";
import { planGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { fromStored } from "../../../runtime/reference/run-model.ts";
import { tensor, type Tensor } from "../../../runtime/reference/tensor.ts";
import { PlanExecutor } from "../../../runtime/webgpu/executor.ts";
import type { Tensor as StoredTensor } from "../../../runtime/weights/safetensors.ts";
import { fixtureNames, loadFixture } from "../../fixtures/fixtures.ts";
import { checkOk } from "../../support/check.ts";
import { randomWeights, seededRandom } from "../../support/random-weights.ts";
import { describeWebGpu } from "../../support/webgpu.ts";
import { expectClose, hostArray, runOnGpu, runOnReference, type Feeds } from "./support.ts";

/** Model outputs: max |got - want| <= 1e-4 (and ints exactly). */
const MODEL_TOLERANCE = { rtol: 0, atol: 1e-4 };

interface ModelRun {
  readonly model: CheckedModel;
  readonly weights: ReadonlyMap<string, StoredTensor>;
  readonly batch: number;
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly lengths?: Readonly<Record<string, readonly number[]>>;
  readonly mode: "infer" | "train";
  readonly seed?: number;
}

/** The unrolled graph and its feeds, as runReference builds them. */
function prepare(run: ModelRun) {
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
  const graph = compileModel(run.model, {
    batch: run.batch,
    steps,
    mode: run.mode,
    seed: run.seed ?? 0,
    initialStates: new Set([...run.inputs.keys()].filter((n) => n.includes(".initial_state."))),
  });
  const params: Record<string, Tensor> = {};
  for (const p of run.model.params) params[p.name] = fromStored(run.weights.get(p.name)!);
  const feeds: Feeds = { inputs, params };
  return { graph, feeds };
}

async function expectModelMatches(device: GPUDevice, label: string, run: ModelRun) {
  const { graph, feeds } = prepare(run);
  const want = runOnReference(graph, feeds);
  const { outputs } = await runOnGpu(device, graph, feeds);
  expect(Object.keys(outputs).sort()).toEqual(Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    const d = expectClose(`${label}: ${name}`, outputs[name], w, MODEL_TOLERANCE);
    if (d.maxAbs >= worst.abs) worst = { abs: d.maxAbs, where: `${label}: ${name}` };
  }
  return { want, outputs };
}

let worst = { abs: 0, where: "" };
let worstGrad = { rel: 0, where: "" };

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

describeWebGpu("naive WebGPU schedule on whole models (float32)", (gpu) => {
  it.each(fixtureNames())("PyTorch fixture %s", async (name) => {
    const fixture = loadFixture(name);
    const model = checkOk(fixture.json.spec).models[0]!;
    const inputs = new Map([...fixture.inputs].map(([n, t]) => [n, fromStored(t)] as const));
    const mode = model.inputs.some((i) => i.training && inputs.has(i.name)) ? "train" : "infer";
    const batch = [...inputs.values()][0]!.shape[0]!;
    await expectModelMatches(gpu().device, name, {
      model,
      weights: fixture.weights,
      batch,
      inputs,
      lengths: fixture.json.lengths,
      mode,
    });
  });

  it.each(fixtureNames())("backward graph of fixture %s", async (name) => {
    const fixture = loadFixture(name);
    const model = checkOk(fixture.json.spec).models[0]!;
    const inputs = new Map([...fixture.inputs].map(([n, t]) => [n, fromStored(t)] as const));
    const mode = model.inputs.some((i) => i.training && inputs.has(i.name)) ? "train" : "infer";
    const batch = [...inputs.values()][0]!.shape[0]!;
    const run: ModelRun = {
      model,
      weights: fixture.weights,
      batch,
      inputs,
      lengths: fixture.json.lengths,
      mode,
    };
    const { graph, feeds } = prepare(run);
    const floatInputs = [...inputs].filter(([, t]) => t.dtype === "float").map(([n]) => n);
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
    const { outputs } = await runOnGpu(gpu().device, backward, feeds);
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
    async (name, search, c) => {
      const model = c.model(search);
      const batch = 8;
      const { outputs } = await expectModelMatches(gpu().device, `${name}, ${search}`, {
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

  afterAll(() => {
    if (worstGrad.where)
      console.log(
        `largest |WebGPU - reference| of a gradient, over max(1, the largest gradient): ${worstGrad.rel.toExponential(2)} (${worstGrad.where})`,
      );
    if (worst.where)
      console.log(
        `largest |WebGPU - reference| over all model outputs: ${worst.abs.toExponential(2)} (${worst.where})`,
      );
  });

  it("runs the textbook LSTM (examples/textbook.rnn) at batch 4, 20 steps", async () => {
    const source = readFileSync(new URL("../../../examples/textbook.rnn", import.meta.url), "utf8");
    const model = checkOk(source).models[0]!;
    const random = seededRandom(5);
    const [batch, steps] = [4, 20];
    const x = tensor(
      "float",
      [batch, steps, 10],
      Array.from({ length: batch * steps * 10 }, () => random() * 2 - 1),
    );
    const run: ModelRun = {
      model,
      weights: randomWeights(model.params, 4, 0.09),
      batch,
      inputs: new Map([["x", x]]),
      lengths: { T: [20, 13, 1, 7] },
      mode: "infer",
    };
    const { graph, feeds } = prepare(run);
    const want = runOnReference(graph, feeds);
    const plan = planGraph(graph);
    const executor = await PlanExecutor.create(gpu().device, plan);
    try {
      const inputs = Object.fromEntries(
        Object.entries(feeds.inputs!).map(([n, t]) => [n, hostArray(t)]),
      );
      const params = Object.fromEntries(
        Object.entries(feeds.params!).map(([n, t]) => [n, hostArray(t)]),
      );
      const submit = vi.spyOn(gpu().device.queue, "submit");
      let outputs = await executor.run(inputs, params);
      expect(submit).toHaveBeenCalledTimes(1); // 1216 dispatches, one submission
      submit.mockRestore();
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        outputs = await executor.run(inputs, params);
        times.push(performance.now() - started);
      }
      for (const [name, w] of Object.entries(want))
        expectClose(`textbook: ${name}`, outputs[name], w, MODEL_TOLERANCE);
      times.sort((a, b) => a - b);
      console.log(
        `textbook LSTM, batch ${batch}, ${steps} steps: ${graph.nodes.length} IR nodes, ` +
          `${plan.dispatches.length} dispatches, ${plan.shaders.length} shaders, ` +
          `${plan.buffers.length} buffers; run ${times[2]!.toFixed(1)} ms (median of 5, ` +
          `min ${times[0]!.toFixed(1)})`,
      );
    } finally {
      executor.destroy();
    }
  });
});
