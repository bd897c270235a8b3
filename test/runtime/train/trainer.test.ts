// The training loop on the reference interpreter: the loss falls on a small task, and a run
// restored from a checkpoint continues exactly as an uninterrupted one.
import { describe, expect, it } from "vitest";
import {
  cpuRunnerWith,
  ReferenceEngine,
  webGpuRunner,
  TrainingEngine,
} from "../../../compiler/driver/training-engine.ts";
import type { FloatArray } from "../../../runtime/train/optimizers.ts";
import { Trainer, type Batch } from "../../../runtime/train/trainer.ts";
import { initialWeights } from "../../../runtime/weights/init.ts";
import { describeWebGpu } from "../../support/webgpu.ts";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { checkOk } from "../../support/check.ts";

// Is the running sum of a sequence positive at its end? A GRU should learn it quickly.
const SPEC = `model sign {
  input x: float[T, 1]
  input label: float[1] for training
  enc = encode(x, cell: gru(hidden: 8), dropout: 0.1, zoneout: 0.1)
  logit = linear(enc.final, 1)
  output p = sigmoid(logit)
  loss bce_with_logits(logit, label)
}`;

function batch(seed: number): Batch {
  const size = 16;
  const steps = 6;
  const lengths = Array.from({ length: size }, (_, b) => 3 + ((b * 7 + seed) % 4));
  const x = new Float64Array(size * steps);
  const label = new Float64Array(size);
  for (let b = 0; b < size; b++) {
    let sum = 0;
    for (let t = 0; t < lengths[b]!; t++) {
      const v = Math.sin(seed * 31.7 + b * 3.1 + t * 1.7);
      x[b * steps + t] = v;
      sum += v;
    }
    label[b] = sum > 0 ? 1 : 0;
  }
  return {
    inputs: new Map([
      ["x", { dtype: "float", shape: [size, steps, 1], data: x }],
      ["label", { dtype: "float", shape: [size, 1], data: label }],
    ]),
    lengths: { T: lengths },
  };
}

function trainer() {
  const model = checkOk(SPEC).models[0]!;
  const params = new Map<string, FloatArray>(
    [...initialWeights(model.params, 1, "F64")].map(([n, t]) => [
      n,
      Float64Array.from(t.data as Float64Array),
    ]),
  );
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  return new Trainer(new ReferenceEngine(model), params, shapes, {
    optimizer: { kind: "adam", lr: 0.03 },
    schedule: { schedule: { kind: "cosine", total: 120 }, warmup: 3 },
    clipNorm: 5,
  });
}

describe("Trainer on the reference interpreter", () => {
  it("lowers the held-out loss on a small task", () => {
    const t = trainer();
    const heldOut = batch(999);
    const before = t.evaluate(heldOut);
    for (let step = 0; step < 120; step++) t.step(batch(step % 12));
    const after = t.evaluate(heldOut);
    expect(after).toBeLessThan(before * 0.6);
  });

  it("resumes from a checkpoint exactly", () => {
    const straight = trainer();
    for (let step = 0; step < 6; step++) straight.step(batch(step));

    const first = trainer();
    for (let step = 0; step < 3; step++) first.step(batch(step));
    const { tensors, metadata } = first.checkpoint();
    const resumed = trainer();
    resumed.restore(tensors, metadata);
    expect(resumed.stepCount).toBe(3);
    for (let step = 3; step < 6; step++) resumed.step(batch(step));

    for (const [name, p] of straight.params)
      expect(Array.from(resumed.params.get(name)!)).toEqual(Array.from(p));
    expect(resumed.weights().get("logit.weight")!.shape).toEqual([1, 8]);
  });

  it("trains on the CPU backend exactly as on the reference interpreter in float32", () => {
    const { model, start, shapes, options } = float32Setup();
    const exact = cpuRunnerWith({ exact: true });
    const cpu = new Trainer(new TrainingEngine(model, exact), start(), shapes, options);
    const reference = new Trainer(referenceF32(model), start(), shapes, options);
    for (let step = 0; step < 4; step++) {
      expect(cpu.step(batch(step)).loss).toBe(reference.step(batch(step)).loss);
    }
    for (const [name, p] of reference.params)
      expect(Array.from(cpu.params.get(name)!), name).toEqual(Array.from(p));
  });
});

const referenceF32 = (model: CheckedModel) => new ReferenceEngine(model, { precision: "float32" });

/** The model, float32 initial weights (fresh each call), shapes and Adam options. */
function float32Setup() {
  const model = checkOk(SPEC).models[0]!;
  const start = () =>
    new Map<string, FloatArray>(
      [...initialWeights(model.params, 1, "F32")].map(([n, t]) => [
        n,
        Float32Array.from(t.data as Float32Array),
      ]),
    );
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  return { model, start, shapes, options: { optimizer: { kind: "adam" as const, lr: 0.03 } } };
}

describeWebGpu("Trainer on WebGPU", (gpu) => {
  it("trains as the reference interpreter does in float32 (fused forward and backward kernels)", async () => {
    const { model, start, shapes, options } = float32Setup();
    const engine = new TrainingEngine(model, webGpuRunner(gpu().device));
    const webgpu = new Trainer(engine, start(), shapes, options);
    const reference = new Trainer(referenceF32(model), start(), shapes, options);
    for (let step = 0; step < 4; step++) {
      const got = (await webgpu.stepAsync(batch(step))).loss;
      expect(got).toBeCloseTo(reference.step(batch(step)).loss, 5);
    }
    expect(await webgpu.evaluateAsync(batch(9))).toBeCloseTo(reference.evaluate(batch(9)), 5);
    for (const [name, p] of reference.params) {
      const mine = webgpu.params.get(name)!;
      for (let i = 0; i < p.length; i++)
        expect(Math.abs(mine[i]! - p[i]!), name).toBeLessThan(1e-4);
    }
    // A synchronous step is refused with a clear message rather than a wrong result.
    expect(() => webgpu.step(batch(0))).toThrow(/asynchronous/);
  });
});
