// Variable lengths: every sequence of a padded batch gives exactly (bit for bit) what it gives
// alone, in every topology that reads sequences — as PyTorch's packed sequences promise.
// And initial states: running steps 0..k and then k..T from the final states equals one run.
import { describe, expect, it } from "vitest";
import { runReference } from "../../../compiler/driver/run-model.ts";
import { tensor, type Tensor } from "../../../runtime/reference/tensor.ts";
import { initialWeights } from "../../../runtime/weights/init.ts";
import { checkOk } from "../../support/check.ts";

const LENGTHS = [7, 3, 1, 5];
const STEPS = 7;

function features(batch: number, steps: number, size: number, seed: number): Float64Array {
  return Float64Array.from(
    { length: batch * steps * size },
    (_, i) => Math.sin(seed + i * 0.37) * 1.5,
  );
}

/** Sequence b of a batch-major [B, T, ...] tensor, cut to `length` steps. */
function sequence(t: Tensor, b: number, length: number): Tensor {
  const [, steps, ...rest] = t.shape as [number, number, ...number[]];
  const per = rest.reduce((a, c) => a * c, 1);
  const data = Array.from(t.data.slice(b * steps * per, b * steps * per + length * per));
  return tensor(t.dtype, [1, length, ...rest], data);
}

/** Row b of a result: [B, ...] per-sequence, or [B, T, ...] per-step cut to `length`. */
function row(t: Tensor, b: number, perStep: boolean, length: number): number[] {
  const [, ...rest] = t.shape as [number, ...number[]];
  if (!perStep) {
    const per = rest.reduce((a, c) => a * c, 1);
    return Array.from(t.data.slice(b * per, (b + 1) * per));
  }
  const [steps, ...inner] = rest as [number, ...number[]];
  const per = inner.reduce((a, c) => a * c, 1);
  return Array.from(t.data.slice(b * steps * per, b * steps * per + length * per));
}

const MODELS: [string, string, Record<string, "float" | "int">][] = [
  [
    "2-layer bidirectional lstm",
    `model m {\n  input x: float[T, 3]\n  enc = encode(x, cell: lstm(hidden: 4), layers: 2, bidirectional)\n  output final = enc.final\n  output outputs = enc.outputs\n}`,
    { x: "float" },
  ],
  [
    "gru_cho, sum-merged",
    `model m {\n  input x: float[T, 3]\n  enc = encode(x, cell: gru_cho(hidden: 4), bidirectional, merge: sum)\n  output final = enc.final\n  output outputs = enc.outputs\n}`,
    { x: "float" },
  ],
  [
    "layernorm_lstm tagger",
    `model m {\n  input t: int[T]\n  enc = encode(embedding(t, vocab: 9, dim: 3), cell: layernorm_lstm(hidden: 4), bidirectional)\n  output tags = linear(enc.outputs, 5)\n}`,
    { t: "int" },
  ],
  [
    "peephole_lstm many-to-one",
    `model m {\n  input x: float[T, 3]\n  enc = encode(x, cell: peephole_lstm(hidden: 4), layers: 2)\n  output p = sigmoid(linear(enc.final, 1))\n}`,
    { x: "float" },
  ],
  [
    "a cell with its own output",
    `cell out_cell(hidden: H) {\n  input x\n  state h: [H]\n  h' = tanh(linear(x) + linear(h))\n  output y = relu(linear(h', out: 2))\n}\n\nmodel m {\n  input x: float[T, 3]\n  enc = encode(x, cell: out_cell(hidden: 4), bidirectional)\n  output final = enc.final\n  output outputs = enc.outputs\n}`,
    { x: "float" },
  ],
];

describe("a batch with lengths [7, 3, 1, 5] gives each sequence what it gives alone", () => {
  it.each(MODELS)("%s", (_, source, inputs) => {
    const model = checkOk(source).models[0]!;
    const weights = initialWeights(model.params, 11, "F64");
    const name = Object.keys(inputs)[0]!;
    const batchInput =
      inputs[name] === "int"
        ? tensor(
            "int",
            [LENGTHS.length, STEPS],
            Array.from({ length: LENGTHS.length * STEPS }, (_, i) => (i * 5) % 9),
          )
        : tensor("float", [LENGTHS.length, STEPS, 3], features(LENGTHS.length, STEPS, 3, 1));
    const batched = runReference(model, {
      inputs: new Map([[name, batchInput]]),
      lengths: { T: LENGTHS },
      weights,
    });
    LENGTHS.forEach((length, b) => {
      const alone = runReference(model, {
        inputs: new Map([[name, sequence(batchInput, b, length)]]),
        weights,
      });
      for (const [output, value] of Object.entries(alone.outputs)) {
        const perStep = model.outputs.find((o) => o.name === output)?.type.time !== undefined;
        expect(
          row(batched.outputs[output]!, b, perStep, length),
          `${output} of sequence ${b}`,
        ).toEqual(row(value, 0, perStep, length));
      }
      // Padded steps of an encoder's outputs are zeros (a head applied to them gives its bias there, as in PyTorch).
      for (const o of model.outputs.filter((o) => o.name === "outputs")) {
        const all = row(batched.outputs[o.name]!, b, true, STEPS);
        const per = all.length / STEPS;
        expect(all.slice(length * per).every((v) => v === 0)).toBe(true);
      }
    });
  });
});

describe("initial states", () => {
  it("chaining two runs through the final states equals one run", () => {
    const model = checkOk(
      `model m {\n  input x: float[T, 3]\n  enc = encode(x, cell: lstm(hidden: 4), layers: 2)\n  output outputs = enc.outputs\n}`,
    ).models[0]!;
    const weights = initialWeights(model.params, 5, "F64");
    const x = tensor("float", [2, 6, 3], features(2, 6, 3, 2));
    const cut = (from: number, to: number) =>
      tensor(
        "float",
        [2, to - from, 3],
        [0, 1].flatMap((b) => Array.from(x.data.slice((b * 6 + from) * 3, (b * 6 + to) * 3))),
      );
    const whole = runReference(model, { inputs: new Map([["x", x]]), weights });
    const first = runReference(model, { inputs: new Map([["x", cut(0, 2)]]), weights });
    const states = Object.entries(first.outputs)
      .filter(([n]) => n.includes(".final_state."))
      .map(([n, t]) => [n.replace(".final_state.", ".initial_state."), t] as const);
    expect(states.map(([n]) => n).sort()).toEqual([
      "enc.initial_state.l0.c",
      "enc.initial_state.l0.h",
      "enc.initial_state.l1.c",
      "enc.initial_state.l1.h",
    ]);
    const second = runReference(model, { inputs: new Map([["x", cut(2, 6)], ...states]), weights });
    for (const name of Object.keys(second.outputs).filter((n) => n.includes(".final_state."))) {
      expect(Array.from(second.outputs[name]!.data)).toEqual(Array.from(whole.outputs[name]!.data));
    }
    const tail = [0, 1].flatMap((b) =>
      Array.from(whole.outputs.outputs!.data.slice((b * 6 + 2) * 4, (b * 6 + 6) * 4)),
    );
    expect(Array.from(second.outputs.outputs!.data)).toEqual(tail);
  });

  it("rejects an initial state of the wrong size", () => {
    const model = checkOk(
      `model m {\n  input x: float[T, 3]\n  enc = encode(x, cell: gru(hidden: 4))\n  output y = enc.final\n}`,
    ).models[0]!;
    const weights = initialWeights(model.params, 5, "F64");
    const inputs = new Map([
      ["x", tensor("float", [2, 3, 3], features(2, 3, 3, 0))],
      ["enc.initial_state.l0.h", tensor("float", [2, 5], new Array(10).fill(0))],
    ]);
    expect(() => runReference(model, { inputs, weights })).toThrow(
      /initial state 'enc.initial_state.l0.h': expected float\[2, 4\], got float\[2, 5\]/,
    );
  });
});
