// The chapter's complete training pipeline on examples/textbook/sentiment.rnn: rnnc's Trainer
// with Adam (lr 1e-3), BCEWithLogits, clip_grad_norm_ 5, from PyTorch's initial weights and on
// PyTorch's five batches, gives the chapter's first five losses (dropout 0 on both sides,
// SentimentLSTM(..., dropout=0.0)) within 1e-4: on the reference interpreter in float64 and
// on the CPU backend's compiled kernels in float32.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CheckedModel } from "../../compiler/check/model.ts";
import {
  cpuRunner,
  ReferenceEngine,
  TrainingEngine,
} from "../../compiler/driver/training-engine.ts";
import type { FloatArray } from "../../runtime/train/optimizers.ts";
import { Trainer, type Batch } from "../../runtime/train/trainer.ts";
import { readSafetensors } from "../../runtime/weights/safetensors.ts";
import { checkOk } from "../support/check.ts";
import { mapWeights, TEXTBOOK_FIXTURES, type TextbookJson } from "./fixtures.ts";

const NAME = "sentiment_training";
const json = JSON.parse(readFileSync(`${TEXTBOOK_FIXTURES}${NAME}.json`, "utf8")) as TextbookJson;
const file = `${TEXTBOOK_FIXTURES}${NAME}.safetensors`;
const { tensors } = readSafetensors(readFileSync(file), file);

/** The spec with its three dropout probabilities set to 0, as the fixture's PyTorch model. */
function withoutDropout(): CheckedModel {
  const source = readFileSync(new URL(`../../${json.spec}`, import.meta.url), "utf8");
  const probabilities = source.match(/\b0\.5\b/g) ?? [];
  expect(probabilities).toHaveLength(3);
  return checkOk(source.replaceAll(/\b0\.5\b/g, "0")).models[0]!;
}

function batches(): Batch[] {
  return json.batches!.map(({ text, label }) => {
    const [t, l] = [tensors.get(text)!, tensors.get(label)!];
    const [size, steps] = t.shape as [number, number];
    return {
      inputs: new Map([
        ["text", { dtype: "int", shape: t.shape, data: Array.from(t.data, Number) }],
        ["label", { dtype: "float", shape: l.shape, data: Array.from(l.data, Number) }],
      ]),
      lengths: { T: Array<number>(size).fill(steps) },
    } satisfies Batch;
  });
}

function losses(engine: TrainingEngine, model: CheckedModel, precision: "float32" | "float64") {
  const stored = new Map(
    [...tensors]
      .filter(([n]) => n.startsWith("weight."))
      .map(([n, t]) => [n.slice("weight.".length), t] as const),
  );
  const weights = mapWeights(json, stored, model);
  const params = new Map<string, FloatArray>();
  for (const p of model.params) {
    const data = Array.from(weights.get(p.name)!.data, Number);
    params.set(p.name, precision === "float32" ? Float32Array.from(data) : Float64Array.from(data));
  }
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  const trainer = new Trainer(engine, params, shapes, {
    optimizer: { kind: json.optimizer!.kind, lr: json.optimizer!.lr },
    clipNorm: json.clip,
  });
  return batches().map((b) => trainer.step(b).loss);
}

describe("the chapter's training pipeline (SentimentLSTM, Adam, BCEWithLogits, clip 5)", () => {
  const model = withoutDropout();
  const want = Array.from(tensors.get(json.expected["losses"]!)!.data, Number);
  const want32 = Array.from(tensors.get(json.torch32["losses"]!)!.data, Number);

  it.each([
    ["the reference interpreter, float64", "float64"],
    ["the CPU backend, float32", "float32"],
  ] as const)("the first 5 losses equal PyTorch's on %s", (_, precision) => {
    const engine =
      precision === "float64" ? new ReferenceEngine(model) : new TrainingEngine(model, cpuRunner);
    const got = losses(engine, model, precision);
    const error = Math.max(...got.map((l, i) => Math.abs(l - want[i]!)));
    const error32 = Math.max(...got.map((l, i) => Math.abs(l - want32[i]!)));
    console.log(
      `${precision}: losses ${got.map((l) => l.toFixed(6)).join(", ")}; ` +
        `max |rnnc - PyTorch| ${error.toExponential(1)} (float32 PyTorch ${error32.toExponential(1)})`,
    );
    expect(error).toBeLessThanOrEqual(json.tolerance);
    expect(error32).toBeLessThanOrEqual(json.tolerance);
    // The losses move: the optimiser steps are really taken.
    expect(new Set(got.map((l) => l.toFixed(4))).size).toBe(got.length);
  });
});
