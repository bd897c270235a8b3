// Every model of the textbook chapter (examples/textbook/*.rnn) against the chapter's own
// PyTorch code (test/fixtures/textbook, make_textbook_fixtures.py): the same weights, mapped
// from PyTorch's names, the same inputs, and rnnc's float32 outputs within 1e-5 of PyTorch's
// on the reference interpreter, the CPU backend (planCpu) and WebGPU (the fused schedule).
// Prints the largest error of each model on each backend.
import { afterAll, describe, expect, it } from "vitest";
import { forecastMultistep } from "../../examples/textbook/forecast.ts";
import { sampleUniform } from "../../runtime/reference/rng.ts";
import { tensor } from "../../runtime/reference/tensor.ts";
import { describeWebGpu } from "../support/webgpu.ts";
import { compile, feedsOf, runner, type BackendName, type Result } from "./backends.ts";
import { compareWith } from "./compare.ts";
import { loadTextbookFixture, type TextbookFixture } from "./fixtures.ts";

const CASES = [
  "vanilla_rnn",
  "vanilla_rnn_usage",
  "lstm_model",
  "gru_model",
  "gru_equations",
  "bilstm",
  "text_classifier",
  "time_series",
  "tagger",
  "seq2seq",
  "seq2seq_greedy",
  "seq2seq_scheduled",
] as const;

const fixtures = new Map<string, TextbookFixture>();
function fixture(name: string): TextbookFixture {
  let f = fixtures.get(name);
  if (!f) fixtures.set(name, (f = loadTextbookFixture(name)));
  return f;
}

function prepare(name: string) {
  const f = fixture(name);
  const first = [...f.inputs.values()][0]!;
  const batch = first.shape[0]!;
  const steps: Record<string, number> = {};
  for (const input of f.model.inputs) {
    const t = f.inputs.get(input.name);
    if (t && input.type.time) steps[input.type.time] = t.shape[1]!;
  }
  const mode = f.json.mode ?? "infer";
  const compiled = compile(f.model, f.weights, { batch, steps, mode });
  const rngStep = f.json.compare?.["coins"]?.["rng_step"] ?? 0;
  return { f, compiled, feeds: feedsOf(compiled, f.inputs, f.json.lengths ?? {}, rngStep) };
}

/** The model's outputs on a backend, and for the time series the chapter's forecast. */
async function outputsOn(
  name: string,
  backend: BackendName,
  device?: GPUDevice,
): Promise<Record<string, Result>> {
  const { f, compiled, feeds } = prepare(name);
  const run = await runner(backend, compiled, device);
  try {
    const out = await run.run(feeds);
    const steps = f.json.compare?.["forecast"]?.["steps"];
    if (steps !== undefined) {
      const x = f.inputs.get("x")!;
      const shape = x.shape as [number, number, number];
      const forecast = await forecastMultistep(
        async (window) =>
          (await run.run({ ...feeds, x: tensor("float", window.shape, window.data) })).prediction!
            .data,
        { shape, data: Float32Array.from(x.data) },
        steps,
      );
      out["forecast"] = { shape: [steps * shape[0], shape[2]], data: forecast };
    }
    return out;
  } finally {
    run.destroy();
  }
}

const table = new Map<string, Map<BackendName, { expected: number; torch32: number }>>();

function cases(backend: BackendName, device?: () => GPUDevice): void {
  it.each(CASES)("%s", async (name) => {
    const f = fixture(name);
    const errors = compareWith(f, await outputsOn(name, backend, device?.()));
    const row = table.get(name) ?? new Map();
    row.set(backend, errors);
    table.set(name, row);
    expect(errors.intMismatches, name).toEqual([]);
    expect(errors.expected, `${name}: max |rnnc - PyTorch float64|`).toBeLessThanOrEqual(
      f.json.tolerance,
    );
    expect(errors.torch32, `${name}: max |rnnc - PyTorch float32|`).toBeLessThanOrEqual(
      f.json.tolerance,
    );
  });
}

describe("the textbook's models on the reference interpreter (float32)", () => {
  cases("reference");
});
describe("the textbook's models on the CPU backend", () => {
  cases("cpu");
});
describeWebGpu("the textbook's models on WebGPU (fused schedule)", (gpu) => {
  cases("webgpu", () => gpu().device);
});

describe("the fixtures", () => {
  it("scheduled sampling's coins are rnnc's own draws for the training step", () => {
    const { f, compiled } = prepare("seq2seq_scheduled");
    const { seed, rng_step: step, ratio } = f.json.compare!["coins"]! as Record<string, number>;
    const seeds = new Set(
      compiled.graph.nodes.filter((n) => n.op === "uniform").map((n) => n.attrs.seed),
    );
    expect([...seeds]).toEqual([seed]);
    const coins = f.tensors.get("input.coins")!;
    const [batch, steps] = coins.shape as [number, number];
    for (let b = 0; b < batch; b++)
      for (let t = 0; t < steps; t++) {
        const coin = sampleUniform(seed!, step! * 65536 + t, b) < ratio! ? 1 : 0;
        expect(Number(coins.data[b * steps + t]), `row ${b} step ${t}`).toBe(coin);
      }
  });

  it("scheduled sampling starts as teacher forcing: its ratio decays from 1 at training step 0", async () => {
    const { f, compiled } = prepare("seq2seq_scheduled");
    const forced = prepare("seq2seq");
    const at = (step: number) => feedsOf(compiled, f.inputs, f.json.lengths ?? {}, step);
    const run = await runner("reference", compiled);
    const teacher = (await (await runner("reference", forced.compiled)).run(forced.feeds)).logits!;
    expect(Array.from((await run.run(at(0))).logits!.data)).toEqual(Array.from(teacher.data));
    // At step 256 (ratio 0.625) some rows read their own predictions (the PyTorch case above).
    expect(Array.from((await run.run(at(256))).logits!.data)).not.toEqual(Array.from(teacher.data));
  });

  it("greedy decoding ends its rows at different steps, so eos handling is exercised", () => {
    const tokens = fixture("seq2seq_greedy").expected.get("tokens")!;
    const [batch, steps] = tokens.shape as [number, number];
    const firstEos = Array.from({ length: batch }, (_, b) =>
      Array.from(tokens.data.slice(b * steps, (b + 1) * steps)).indexOf(2),
    );
    expect(firstEos.every((t) => t >= 0 && t < steps - 1)).toBe(true);
    expect(new Set(firstEos).size).toBeGreaterThan(1);
  });
});

afterAll(() => {
  if (table.size === 0) return;
  const lines = [...table].map(
    ([name, row]) =>
      `  ${name.padEnd(20)}` +
      [...row]
        .map(([b, e]) => `${b} ${e.expected.toExponential(1)} (f32 ${e.torch32.toExponential(1)})`)
        .join("  "),
  );
  console.log(`max |rnnc - PyTorch| per model and backend:\n${lines.join("\n")}`);
});
