// Truncated backpropagation through time: windows carry the encoders' states, so the chained
// forward pass equals the whole one, and a window as long as the sequence changes nothing.
import { describe, expect, it } from "vitest";
import { ReferenceEngine } from "../../../compiler/driver/training-engine.ts";
import { windows, type InputSpec } from "../../../runtime/train/data.ts";
import type { FloatArray } from "../../../runtime/train/optimizers.ts";
import { Trainer, type Batch } from "../../../runtime/train/trainer.ts";
import { initialWeights } from "../../../runtime/weights/init.ts";
import { checkOk } from "../../support/check.ts";

const SPEC = `model tagger {
  input x: float[T, 2]
  input y: float[T, 1] for training
  enc = encode(x, cell: lstm(hidden: 4), layers: 2)
  output p = linear(enc.outputs, 1)
  loss mse(p, y)
}`;

const model = checkOk(SPEC).models[0]!;
const inputs: InputSpec[] = model.inputs.map((i) => ({
  name: i.name,
  dtype: i.type.dtype,
  time: i.type.time,
  dims: i.type.dims,
}));
const lengths = [7, 4, 2];

function batch(): Batch {
  const x = Float64Array.from({ length: 3 * 7 * 2 }, (_, i) => Math.sin(i * 0.7));
  const y = Float64Array.from({ length: 3 * 7 }, (_, i) => Math.cos(i * 0.3));
  return {
    inputs: new Map([
      ["x", { dtype: "float", shape: [3, 7, 2], data: x }],
      ["y", { dtype: "float", shape: [3, 7, 1], data: y }],
    ]),
    lengths: { T: lengths },
  };
}

function params(): Map<string, FloatArray> {
  return new Map(
    [...initialWeights(model.params, 4, "F64")].map(([n, t]) => [
      n,
      Float64Array.from(t.data as Float64Array),
    ]),
  );
}

describe("truncated BPTT", () => {
  it("cuts a batch into windows with per-window lengths, dropping finished windows", () => {
    const parts = windows(batch(), inputs, 3);
    expect(parts.map((w) => w.lengths.T)).toEqual([
      [3, 3, 2],
      [3, 1, 0],
      [1, 0, 0],
    ]);
    expect(parts.map((w) => w.inputs.get("x")!.shape)).toEqual([
      [3, 3, 2],
      [3, 3, 2],
      [3, 1, 2],
    ]);
    // Window 1 of sequence 0 starts at step 3: values 6 and 7 of the flat [3, 7, 2] input.
    expect(Array.from(parts[1]!.inputs.get("x")!.data).slice(0, 2)).toEqual(
      Array.from(batch().inputs.get("x")!.data).slice(6, 8),
    );
  });

  it("chains windows to exactly the states of the whole sequence", () => {
    const engine = new ReferenceEngine(model);
    const p = params();
    const whole = engine.gradients(p, batch(), 0).states;
    let states: Batch["states"];
    for (const w of windows(batch(), inputs, 3))
      states = engine.gradients(p, { ...w, states }, 0).states;
    expect([...states!.keys()].sort()).toEqual([...whole.keys()].sort());
    for (const [name, t] of whole)
      expect(Array.from(states!.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it("with a window as long as the sequence, trains exactly as without", () => {
    const shapes = new Map(model.params.map((q) => [q.name, q.shape]));
    const options = { optimizer: { kind: "adam" as const, lr: 0.01 } };
    const plain = new Trainer(new ReferenceEngine(model), params(), shapes, options);
    const windowed = new Trainer(new ReferenceEngine(model), params(), shapes, options);
    for (let step = 0; step < 3; step++) {
      plain.step(batch());
      for (const w of windows(batch(), inputs, 7)) windowed.step(w);
    }
    for (const [name, v] of plain.params)
      expect(Array.from(windowed.params.get(name)!)).toEqual(Array.from(v));
  });
});
