import { describe, expect, it } from "vitest";
import {
  assertWeights,
  checkWeights,
  formatWeightProblems,
} from "../../../runtime/weights/check.ts";
import { WeightsError } from "../../../runtime/weights/errors.ts";
import { tensor, type Tensor } from "../../../runtime/weights/safetensors.ts";
import { checkOk } from "../../support/check.ts";

const zeros = (dtype: "F64" | "F32" | "I64", shape: number[]): Tensor =>
  dtype === "I64"
    ? tensor(dtype, shape, new Array<bigint>(shape.reduce((a, b) => a * b, 1)).fill(0n))
    : tensor(dtype, shape, new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0));

const model = checkOk(`model m {
  input x: float[T, 3]
  enc = encode(x, cell: rnn(hidden: 5))
  output y = linear(enc.final, 2)
}
`).models[0]!;

function good(): Map<string, Tensor> {
  return new Map(model.params.map((p) => [p.name, zeros("F32", [...p.shape])]));
}

describe("checkWeights", () => {
  it("accepts weights that fit, in float32 or float64", () => {
    expect(model.params.map((p) => p.name)).toEqual([
      "enc.l0.h_next.x.weight",
      "enc.l0.h_next.x.bias",
      "enc.l0.h_next.h.weight",
      "enc.l0.h_next.h.bias",
      "y.weight",
      "y.bias",
    ]);
    expect(checkWeights(model.params, good())).toEqual([]);
    const f64 = new Map([...good()].map(([n, t]) => [n, zeros("F64", [...t.shape])]));
    expect(checkWeights(model.params, f64)).toEqual([]);
    expect(checkWeights(model.params, Object.fromEntries(f64))).toEqual([]);
  });

  it("reports each problem on one line: name, expected, got", () => {
    const w = good();
    w.set("enc.l0.h_next.x.weight", zeros("F32", [3, 5]));
    w.delete("enc.l0.h_next.h.bias");
    w.set("enc.l0.h_next.h.bais", zeros("F32", [5]));
    w.set("y.bias", zeros("I64", [2]));
    w.delete("y.weight");
    w.set("model.y.weight", zeros("F32", [2, 5]));
    w.set("extra", zeros("F32", [1]));
    const problems = checkWeights(model.params, w);
    expect(problems.map((p) => [p.kind, p.code, p.name])).toEqual([
      ["shape", "RNN4107", "enc.l0.h_next.x.weight"],
      ["missing", "RNN4105", "enc.l0.h_next.h.bias"],
      ["missing", "RNN4105", "y.weight"],
      ["dtype", "RNN4108", "y.bias"],
      ["unexpected", "RNN4106", "enc.l0.h_next.h.bais"],
      ["unexpected", "RNN4106", "model.y.weight"],
      ["unexpected", "RNN4106", "extra"],
    ]);
    expect(problems.map((p) => p.message)).toEqual([
      "enc.l0.h_next.x.weight: expected shape [5, 3], got [3, 5]",
      "enc.l0.h_next.h.bias: missing (expected shape [5]); did you mean 'enc.l0.h_next.h.bais'?",
      "y.weight: missing (expected shape [2, 5]); did you mean 'model.y.weight'?",
      "y.bias: expected dtype F32 or F64 (float32/float64), got I64",
      "enc.l0.h_next.h.bais: unexpected (the model has no parameter of this name); did you mean 'enc.l0.h_next.h.bias'?",
      "model.y.weight: unexpected (the model has no parameter of this name); did you mean 'y.weight'?",
      "extra: unexpected (the model has no parameter of this name)",
    ]);
  });

  it("does not suggest far-away names", () => {
    const w = good();
    w.delete("y.weight");
    w.set("decoder.out.weight", zeros("F32", [2, 5]));
    const [missing] = checkWeights(model.params, w);
    expect(missing!.message).toBe("y.weight: missing (expected shape [2, 5])");
  });

  it("can require one dtype", () => {
    const problems = checkWeights(model.params, good(), { dtypes: ["F64"] });
    expect(problems).toHaveLength(6);
    expect(problems[0]!.message).toBe(
      "enc.l0.h_next.x.weight: expected dtype F64 (float64), got F32",
    );
  });
});

describe("one clear error", () => {
  it("formats all problems with a summary line", () => {
    const w = good();
    w.set("y.bias", zeros("F32", [3]));
    w.delete("y.weight");
    const text = formatWeightProblems(checkWeights(model.params, w), "in 'm.safetensors'");
    expect(text).toBe(
      [
        "the weights in 'm.safetensors' do not match the model's parameters (1 missing, 1 wrong shape):",
        "  y.weight: missing (expected shape [2, 5])",
        "  y.bias: expected shape [2], got [3]",
      ].join("\n"),
    );
  });

  it("assertWeights throws one WeightsError with the first problem's code", () => {
    const w = good();
    w.set("y.weight", zeros("F32", [5, 2]));
    try {
      assertWeights(model.params, w, { context: "in 'm.safetensors'" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WeightsError);
      const err = e as WeightsError;
      expect(err.code).toBe("RNN4107");
      expect(err.message).toContain("RNN4107: the weights in 'm.safetensors' do not match");
      expect(err.problems).toEqual(["y.weight: expected shape [2, 5], got [5, 2]"]);
    }
    expect(() => assertWeights(model.params, good())).not.toThrow();
  });

  it("points at fromTorch when the names are PyTorch's", () => {
    const w = new Map<string, Tensor>([
      ["rnn.weight_ih_l0", zeros("F32", [5, 3])],
      ["rnn.weight_hh_l0", zeros("F32", [5, 5])],
    ]);
    const text = formatWeightProblems(checkWeights(model.params, w));
    expect(text).toMatch(/6 missing, 2 unexpected/);
    expect(text).toMatch(
      /help: these look like PyTorch state_dict names; convert them with fromTorch\(\)/,
    );
  });
});
