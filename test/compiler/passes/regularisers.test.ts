// Dropout, dropout between layers, recurrent dropout and zoneout: identity (or zoneout's
// expectation) when evaluating; in training, masks drawn from `rng.step` — reproducible for
// a step, fresh for the next — and gradients that still equal finite differences.
import { describe, expect, it } from "vitest";
import { withGradients } from "../../../compiler/autodiff/reverse.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { fromStored, runReference } from "../../../compiler/driver/run-model.ts";
import { tensor } from "../../../runtime/reference/tensor.ts";
import { initialWeights } from "../../../runtime/weights/init.ts";
import { checkOk } from "../../support/check.ts";

function wave(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.37) * 1.3);
}

function encoderModel(options: string, cell = "lstm(hidden: 3)"): string {
  return `model m {\n  input x: float[T, 2]\n  input y: float[3] for training\n  enc = encode(x, cell: ${cell}${options})\n  output h = enc.final\n  loss mse(h, y)\n}`;
}

function run(source: string, mode: "infer" | "train", rngStep = 0) {
  const model = checkOk(source).models[0]!;
  const weights = initialWeights(model.params, 2, "F64");
  const inputs = new Map([["x", tensor("float", [2, 4, 2], wave(16, 1))]]);
  if (model.inputs.some((i) => i.name === "y"))
    inputs.set("y", tensor("float", [2, 3], wave(6, 2)));
  return runReference(model, { inputs, lengths: { T: [4, 3] }, weights }, { mode, rngStep })
    .outputs;
}

const data = (t: { data: ArrayLike<number> } | undefined) => Array.from(t!.data);

describe("evaluation is deterministic and unregularised", () => {
  it.each([
    [", layers: 2, dropout: 0.5", ", layers: 2"],
    [", recurrent_dropout: 0.4", ""],
  ])("encode(...%s) evaluates as without it", (options, plain) => {
    expect(data(run(encoderModel(options), "infer").h)).toEqual(
      data(run(encoderModel(plain), "infer").h),
    );
  });

  it("zoneout evaluates as p·previous + (1-p)·next", () => {
    const plain = run(
      `model m {\n  input x: float[T, 2]\n  output h = encode(x, cell: rnn(hidden: 3)).outputs\n}`,
      "infer",
    ).h!;
    const zoned = run(
      `model m {\n  input x: float[T, 2]\n  output h = encode(x, cell: rnn(hidden: 3), zoneout: 0.25).outputs\n}`,
      "infer",
    ).h!;
    // The first step starts from zeros: h1 = 0.75 · tanh(...).
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 3; k++)
        expect(zoned.data[b * 12 + k]).toBeCloseTo(0.75 * plain.data[b * 12 + k]!, 15);
    }
  });
});

describe("training draws masks from rng.step", () => {
  it("dropout keeps each element with probability 1 - p and scales it by 1/(1 - p)", () => {
    const source = `model m {\n  input v: float[2000]\n  input t: float[2000] for training\n  output y = dropout(v, 0.3)\n  loss mse(y, t)\n}`;
    const model = checkOk(source).models[0]!;
    const v = tensor("float", [1, 2000], wave(2000, 3));
    const outputs = runReference(
      model,
      {
        inputs: new Map([
          ["v", v],
          ["t", v],
        ]),
        weights: new Map(),
      },
      { mode: "train" },
    ).outputs;
    const y = data(outputs.y);
    const dropped = y.filter((value) => value === 0).length;
    expect(dropped / 2000).toBeGreaterThan(0.27);
    expect(dropped / 2000).toBeLessThan(0.33);
    y.forEach((value, i) => {
      if (value !== 0) expect(value).toBe(v.data[i]! * (1 / 0.7));
    });
  });

  it.each([", layers: 2, dropout: 0.5", ", recurrent_dropout: 0.4", ", zoneout: 0.3"])(
    "encode(...%s): same step, same masks; next step, new masks",
    (options) => {
      const source = encoderModel(options);
      const first = data(run(source, "train", 5).h);
      expect(data(run(source, "train", 5).h)).toEqual(first);
      expect(data(run(source, "train", 6).h)).not.toEqual(first);
      expect(first).not.toEqual(data(run(source, "infer").h));
    },
  );

  it("gradients through all regularisers equal finite differences", () => {
    const model = checkOk(
      encoderModel(", layers: 2, dropout: 0.3, recurrent_dropout: 0.3, zoneout: 0.2"),
    ).models[0]!;
    const graph = compileModel(model, { batch: 2, steps: { T: 4 }, mode: "train" });
    const grads = withGradients(graph, { loss: "loss" });
    const params = Object.fromEntries(
      [...initialWeights(model.params, 2, "F64")].map(([n, t]) => [n, fromStored(t)]),
    );
    const inputs = {
      x: tensor("float", [2, 4, 2], wave(16, 1)),
      y: tensor("float", [2, 3], wave(6, 2)),
      "lengths.T": tensor("int", [2], [4, 3]),
      "rng.step": tensor("int", [], [3]),
    };
    const got = evaluate(grads, { inputs, params });
    const lossAt = (name: string, i: number, delta: number) => {
      const d = Float64Array.from(params[name]!.data);
      d[i]! += delta;
      return evaluate(graph, {
        inputs,
        params: { ...params, [name]: { ...params[name]!, data: d } },
      }).loss!.data[0]!;
    };
    for (const p of model.params) {
      const fd = (lossAt(p.name, 1, 1e-6) - lossAt(p.name, 1, -1e-6)) / 2e-6;
      expect(Math.abs(got[`grad.${p.name}`]!.data[1]! - fd), p.name).toBeLessThan(1e-7);
    }
  });
});
