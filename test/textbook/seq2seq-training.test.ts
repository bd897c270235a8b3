// 23.7 end to end on the Seq2Seq spec: train seq2seq_scheduled (scheduled sampling, the
// teacher-forcing ratio decaying from 1 to 0.25 over 512 steps) on a toy task — emit the
// source's symbols reversed, then eos — and decode held-out sources with seq2seq's greedy
// inference (no teacher forcing: each step reads its own previous argmax). About 2 s on the CPU.
import { expect, it } from "vitest";
import { cpuRunner, TrainingEngine } from "../../compiler/driver/training-engine.ts";
import { sampleUniform } from "../../runtime/reference/rng.ts";
import { tensor } from "../../runtime/reference/tensor.ts";
import type { FloatArray } from "../../runtime/train/optimizers.ts";
import { Trainer, type Batch } from "../../runtime/train/trainer.ts";
import { initialWeights } from "../../runtime/weights/init.ts";
import { compile, feedsOf, runner } from "./backends.ts";
import { specModel } from "./fixtures.ts";

const SPEC = "examples/textbook/seq2seq.rnn";
const [B, S, EOS] = [16, 4, 2];

/** Sources: one-hot symbols 3..6 (4 features); targets: the symbols reversed, then eos. */
function reversal(counter: number): { batch: Batch; targets: number[] } {
  const src: number[] = [];
  const trg: number[] = [];
  for (let i = 0; i < B; i++) {
    const symbols = Array.from(
      { length: S },
      (_, t) => 3 + Math.floor(sampleUniform(9, counter, i * S + t) * 4),
    );
    for (const s of symbols) for (let f = 0; f < 4; f++) src.push(f === s - 3 ? 1 : 0);
    trg.push(...symbols.reverse(), EOS);
  }
  const batch: Batch = {
    inputs: new Map([
      ["src", { dtype: "float", shape: [B, S, 4], data: src }],
      ["trg", { dtype: "int", shape: [B, S + 1], data: trg }],
    ]),
    lengths: { S: Array<number>(B).fill(S), T: Array<number>(B).fill(S + 1) },
  };
  return { batch, targets: trg };
}

it("trains with decaying scheduled sampling, then decodes greedily without teacher forcing", async () => {
  const model = specModel(SPEC, "seq2seq_scheduled");
  const init = initialWeights(model.params, 0);
  const params = new Map<string, FloatArray>(
    model.params.map((p) => [p.name, Float32Array.from(init.get(p.name)!.data as Float32Array)]),
  );
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  const trainer = new Trainer(new TrainingEngine(model, cpuRunner), params, shapes, {
    optimizer: { kind: "adam", lr: 0.01 },
    clipNorm: 5,
  });
  const losses: number[] = [];
  for (let step = 0; step < 600; step++) losses.push(trainer.step(reversal(step).batch).loss);
  const late = losses.slice(-50).reduce((a, b) => a + b, 0) / 50;
  expect(losses[0]!).toBeGreaterThan(1.5);
  expect(late).toBeLessThan(0.4);

  // Held-out sources, greedy decoding by the seq2seq model (the same parameters).
  const { batch, targets } = reversal(100_000);
  const greedy = specModel(SPEC, "seq2seq");
  const compiled = compile(greedy, trainer.weights(), { batch: B, steps: { S }, mode: "infer" });
  const src = batch.inputs.get("src")!;
  const feeds = feedsOf(
    compiled,
    new Map([["src", tensor("float", src.shape, Array.from(src.data))]]),
    batch.lengths,
  );
  const tokens = (await (await runner("cpu", compiled)).run(feeds)).tokens!;
  const maxSteps = tokens.shape[1]!;
  let right = 0;
  for (let i = 0; i < B; i++)
    for (let t = 0; t <= S; t++)
      if (tokens.data[i * maxSteps + t] === targets[i * (S + 1) + t]) right++;
  console.log(
    `seq2seq reversal: loss ${losses[0]!.toFixed(3)} -> ${late.toFixed(3)}; greedy tokens right ${right} of ${B * (S + 1)}`,
  );
  expect(right / (B * (S + 1))).toBeGreaterThanOrEqual(0.9);
}, 60_000);
