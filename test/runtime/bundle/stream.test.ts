// Streaming a bundle: feeding a sequence one step at a time through the generated glue's
// stream().step gives the same outputs as run on the whole sequence (per-step outputs at
// every step, the final ones at the last), on the CPU, the reference and WebGPU; reset()
// starts again from zero states.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { describeWebGpu } from "../../support/webgpu.ts";
import { compileBundle } from "./support.ts";

const SPEC = `
model tagger {
  input x: float[T, 3]
  enc = encode(x, cell: lstm(hidden: 6), layers: 2)
  output y = linear(enc.outputs, 2)
  output last = linear(enc.final, 1)
}`;

const B = 2;
const T = 5;
const x = Array.from({ length: B }, (_, b) =>
  Array.from({ length: T }, (_, t) => [Math.sin(t + b), Math.cos(0.5 * t - b), 0.1 * t]),
);

interface Out {
  shape: readonly number[];
  data: ArrayLike<number>;
}
interface Glue {
  run(inputs: { x: unknown }): Promise<Record<string, Out>>;
  stream(): {
    step(inputs: { x: unknown }): Promise<Record<string, Out>>;
    reset(): Promise<void>;
  };
  destroy(): void;
}
interface GlueClass {
  load(location: string, options: { backend: string; device?: GPUDevice }): Promise<Glue>;
}

let dir: string;
let Tagger: GlueClass;
beforeAll(async () => {
  dir = await compileBundle(SPEC, { batch: 4, steps: { T: 8 } });
  Tagger = ((await import(pathToFileURL(join(dir, "tagger.ts")).href)) as { Tagger: GlueClass })
    .Tagger;
});

function near(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

async function checkStream(model: Glue, tolerance: number) {
  const whole = await model.run({ x });
  expect(whole.y!.shape).toEqual([B, T, 2]);
  const stream = model.stream();
  for (let round = 0; round < 2; round++) {
    let step: Record<string, Out> = {};
    for (let t = 0; t < T; t++) {
      step = await stream.step({ x: x.map((seq) => seq[t]) });
      expect(step.y!.shape).toEqual([B, 2]);
      const want = Array.from({ length: B }, (_, b) =>
        Array.from(whole.y!.data).slice((b * T + t) * 2, (b * T + t) * 2 + 2),
      ).flat();
      near(step.y!.data, want, tolerance);
    }
    near(step.last!.data, whole.last!.data, tolerance);
    near(step["enc.final_state.l1.c"]!.data, whole["enc.final_state.l1.c"]!.data, tolerance);
    await stream.reset(); // the second round must repeat the first
  }
}

describe("stream on the CPU and the reference", () => {
  it("step by step equals run (CPU, float32)", async () => {
    const model = await Tagger.load(dir, { backend: "cpu" });
    await checkStream(model, 1e-6);
  });

  it("step by step equals run (reference interpreter)", async () => {
    const model = await Tagger.load(dir, { backend: "reference" });
    await checkStream(model, 1e-12);
  });
});

describeWebGpu("stream on WebGPU", (gpu) => {
  it("step by step equals run, the state staying on the device", async () => {
    const model = await Tagger.load(dir, { backend: "webgpu", device: gpu().device });
    await checkStream(model, 1e-5);
    model.destroy();
  });
});
