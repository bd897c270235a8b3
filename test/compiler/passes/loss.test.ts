// Losses: values equal PyTorch's formulas (reduction "mean", ignore_index, padding excluded)
// computed here from the model's own outputs, and their gradients equal finite differences.
import { describe, expect, it } from "vitest";
import { withGradients } from "../../../compiler/autodiff/reverse.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { fromStored, runReference } from "../../../compiler/driver/run-model.ts";
import { tensor, type Tensor } from "../../../runtime/reference/tensor.ts";
import { initialWeights } from "../../../runtime/weights/init.ts";
import { checkOk } from "../../support/check.ts";

function wave(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.61) * 1.2);
}

function train(source: string, inputs: Record<string, Tensor>, lengths: Record<string, number[]>) {
  const model = checkOk(source).models[0]!;
  const weights = initialWeights(model.params, 4, "F64");
  const result = runReference(
    model,
    { inputs: new Map(Object.entries(inputs)), lengths, weights },
    { mode: "train" },
  );
  return { model, weights, outputs: result.outputs };
}

function logSoftmax(row: number[]): number[] {
  const max = Math.max(...row);
  const sum = row.reduce((a, v) => a + Math.exp(v - max), 0);
  return row.map((v) => v - max - Math.log(sum));
}

describe("losses", () => {
  it("mse is the mean squared error over every element", () => {
    const { outputs } = train(
      `model m {\n  input x: float[T, 2]\n  input y: float[3] for training\n  output p = linear(encode(x, cell: gru(hidden: 4)).final, 3)\n  loss mse(p, y)\n}`,
      { x: tensor("float", [2, 3, 2], wave(12, 1)), y: tensor("float", [2, 3], wave(6, 2)) },
      { T: [3, 2] },
    );
    const p = Array.from(outputs.p!.data);
    const y = wave(6, 2);
    const expected = p.reduce((a, v, i) => a + (v - y[i]!) ** 2, 0) / 6;
    expect(outputs.loss!.data[0]).toBeCloseTo(expected, 14);
  });

  it("bce_with_logits is PyTorch's stable form, averaged over valid steps", () => {
    const { outputs } = train(
      `model m {\n  input x: float[T, 2]\n  input y: float[T, 1] for training\n  output p = linear(encode(x, cell: lstm(hidden: 3)).outputs, 1)\n  loss bce_with_logits(p, y)\n}`,
      {
        x: tensor("float", [2, 4, 2], wave(16, 3)),
        y: tensor("float", [2, 4, 1], [1, 0, 1, 1, 0, 0, 1, 0]),
      },
      { T: [4, 2] },
    );
    const p = Array.from(outputs.p!.data);
    const y = [1, 0, 1, 1, 0, 0, 1, 0];
    const valid = [0, 1, 2, 3, 4, 5];
    const terms = valid.map(
      (i) => Math.max(p[i]!, 0) - p[i]! * y[i]! + Math.log1p(Math.exp(-Math.abs(p[i]!))),
    );
    expect(outputs.loss!.data[0]).toBeCloseTo(terms.reduce((a, b) => a + b, 0) / valid.length, 14);
  });

  it("cross_entropy skips padded steps and ignored targets, and sums with other losses", () => {
    const lengths = [4, 3];
    const tags = [1, 2, 0, 3, 2, 1, 1, 0]; // 0 is ignored; the last step of sequence 1 is padding
    const { outputs } = train(
      `model m {\n  input t: int[T]\n  input tags: int[T] for training\n  output logits = linear(encode(embedding(t, vocab: 5, dim: 3), cell: gru(hidden: 3), bidirectional).outputs, 4)\n  loss cross_entropy(logits, tags, ignore: 0)\n  loss cross_entropy(logits, tags)\n}`,
      { t: tensor("int", [2, 4], [1, 2, 3, 4, 4, 3, 2, 1]), tags: tensor("int", [2, 4], tags) },
      { T: lengths },
    );
    const logits = Array.from(outputs.logits!.data);
    let ignoring = 0;
    let counted = 0;
    let all = 0;
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < lengths[b]!; t++) {
        const i = b * 4 + t;
        const nll = -logSoftmax(logits.slice(i * 4, i * 4 + 4))[tags[i]!]!;
        all += nll;
        if (tags[i] !== 0) {
          ignoring += nll;
          counted++;
        }
      }
    }
    expect(outputs.loss!.data[0]).toBeCloseTo(ignoring / counted + all / 7, 13);
  });

  it("the gradient of a loss equals finite differences", () => {
    const model = checkOk(
      `model m {\n  input x: float[T, 2]\n  input y: float[1] for training\n  output p = linear(encode(x, cell: layernorm_lstm(hidden: 2)).final, 1)\n  loss mse(p, y)\n}`,
    ).models[0]!;
    const graph = compileModel(model, { batch: 2, steps: { T: 3 }, mode: "train" });
    const grads = withGradients(graph, { loss: "loss" });
    const weights = initialWeights(model.params, 9, "F64");
    const params = Object.fromEntries([...weights].map(([n, t]) => [n, fromStored(t)]));
    const inputs = {
      x: tensor("float", [2, 3, 2], wave(12, 5)),
      y: tensor("float", [2, 1], [0.3, -0.2]),
      "lengths.T": tensor("int", [2], [3, 2]),
    };
    const got = evaluate(grads, { inputs, params });
    const lossAt = (name: string, i: number, delta: number) => {
      const data = Float64Array.from(params[name]!.data);
      data[i]! += delta;
      return evaluate(graph, { inputs, params: { ...params, [name]: { ...params[name]!, data } } })
        .loss!.data[0]!;
    };
    for (const p of model.params) {
      const fd = (lossAt(p.name, 0, 1e-6) - lossAt(p.name, 0, -1e-6)) / 2e-6;
      expect(Math.abs(got[`grad.${p.name}`]!.data[0]! - fd), p.name).toBeLessThan(1e-7);
    }
  });
});
