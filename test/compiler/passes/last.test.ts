// `last(x)`: a per-step value at each sequence's last valid step (PyTorch's out[:, -1, :] for
// equal lengths). For a unidirectional encoder, last(enc.outputs) is enc.final exactly, with
// variable lengths too, and so are the gradients through it (scan form and unrolled).
import { describe, expect, it } from "vitest";
import { withGradients } from "../../../compiler/autodiff/reverse.ts";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { fromStored } from "../../../compiler/driver/run-model.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { tensor, type Tensor } from "../../../runtime/reference/tensor.ts";
import { initialWeights } from "../../../runtime/weights/init.ts";
import { checkOk, checkText } from "../../support/check.ts";

const [B, T] = [4, 6];
const LENGTHS = [6, 2, 4, 1];

function model(head: string): CheckedModel {
  return checkOk(`model m {
  input x: float[T, 3]
  input y: float[2] for training
  enc = encode(x, cell: gru(hidden: 4))
  output p = linear(${head}, 2)
  loss mse(p, y)
}`).models[0]!;
}

function run(checked: CheckedModel, mode: "infer" | "train", until?: string) {
  const inputs: Record<string, Tensor> = {
    x: tensor(
      "float",
      [B, T, 3],
      Array.from({ length: B * T * 3 }, (_, i) => Math.sin(i * 0.7)),
    ),
    "lengths.T": tensor("int", [B], LENGTHS),
  };
  if (mode === "train")
    inputs["y"] = tensor(
      "float",
      [B, 2],
      Array.from({ length: B * 2 }, (_, i) => i / 8),
    );
  const weights = initialWeights(checked.params, 5);
  const params = Object.fromEntries(
    checked.params.map((p) => [p.name, fromStored(weights.get(p.name)!)]),
  );
  let graph = compileModel(checked, { batch: B, steps: { T }, mode, verify: true, until });
  if (mode === "train") graph = withGradients(graph, { loss: "loss" });
  return evaluate(graph, { inputs, params });
}

describe("last(x)", () => {
  it("is enc.final for a unidirectional encoder, with variable lengths", () => {
    const a = run(model("last(enc.outputs)"), "infer");
    const b = run(model("enc.final"), "infer");
    expect(Array.from(a.p!.data)).toEqual(Array.from(b.p!.data));
  });

  it("differentiates like enc.final (scan form and unrolled)", () => {
    for (const until of ["hoist-input-projections", undefined]) {
      const a = run(model("last(enc.outputs)"), "train", until);
      const b = run(model("enc.final"), "train", until);
      const grads = Object.keys(b).filter((k) => k.startsWith("grad."));
      expect(grads.length).toBeGreaterThan(0);
      for (const g of grads)
        for (let i = 0; i < b[g]!.data.length; i++)
          expect(a[g]!.data[i]!, g).toBeCloseTo(b[g]!.data[i]!, 12);
    }
  });

  it("needs a per-step value", () => {
    const result = checkText(`model m {
  input x: float[T, 3]
  enc = encode(x, cell: gru(hidden: 4))
  output p = last(enc.final)
}`);
    expect(result.ok).toBe(false);
    expect(result.rendered).toContain("RNN2010");
    expect(result.rendered).toContain("last needs a per-step value");
  });
});
