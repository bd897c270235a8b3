/**
 * Faults and concurrency on WebGPU: a device lost in the middle of a run (forced with
 * `device.destroy()`) is a clean RNN4514 error, and the model recovers on the next call when
 * it owns its device (a new device, pipelines and weights); many runs in flight on one model,
 * and on two models sharing a device, equal the same runs made one by one; streams of one
 * model keep separate states.
 */
import { beforeAll, expect, it } from "vitest";
import { BundleModel, type Outputs } from "../../runtime/bundle/index.ts";
import { compileBundle } from "../runtime/bundle/support.ts";
import { describeWebGpu } from "../support/webgpu.ts";

const SPEC = `
model tagger {
  input x: float[T, 3]
  enc = encode(x, cell: lstm(hidden: 16), layers: 2)
  output y = linear(enc.outputs, 2)
  output last = linear(enc.final, 1)
}`;

/** Sequences of `n` steps whose values depend on `k`, so every call's inputs differ. */
function input(k: number, n = 6): number[][][] {
  return [0, 1].map((b) =>
    Array.from({ length: n - b }, (_, t) => [Math.sin(k + t), Math.cos(k * 0.3 - t), 0.1 * b]),
  );
}

function same(a: Outputs, b: Outputs): void {
  for (const name of Object.keys(a)) {
    expect(b[name]!.shape).toEqual(a[name]!.shape);
    expect(Array.from(b[name]!.data)).toEqual(Array.from(a[name]!.data));
  }
}

let dir: string;
beforeAll(async () => {
  dir = await compileBundle(SPEC, { batch: 4, steps: { T: 8 } });
});

describeWebGpu("device loss and concurrency", (gpu) => {
  it("reports a device destroyed mid-run as RNN4514, then runs on a new device", async () => {
    const model = await BundleModel.load(dir, { backend: "webgpu" });
    const before = await model.run({ x: input(1) });
    const lostDevice = model.device!;
    const inFlight = model.run({ x: input(1) });
    lostDevice.destroy();
    await expect(inFlight).rejects.toThrow(
      /RNN4514: .*lost during the call.*next call runs on a new device/,
    );
    const after = await model.run({ x: input(1) });
    expect(model.device).not.toBe(lostDevice);
    same(before, after);
    // Streams made after recovery run on the new device too.
    const stream = model.stream();
    const step = await stream.step({ x: input(1).map((seq) => seq[0]!) });
    expect(step.y!.shape).toEqual([2, 2]);
    model.destroy();
  });

  it("a lost device the caller gave stays the caller's: RNN4514 until loaded again", async () => {
    const { device } = gpu();
    const reference = await BundleModel.load(dir, { backend: "cpu" });
    const expected = await reference.run({ x: input(2) });
    // A device of our own to lose (the suite's device serves the other tests).
    const { acquireDevice } = await import("../../runtime/webgpu/device.ts");
    const mine = (await acquireDevice({ label: "test: lost on purpose" })).device;
    const model = await BundleModel.load(dir, { device: mine });
    const inFlight = model.run({ x: input(2) });
    mine.destroy();
    await expect(inFlight).rejects.toThrow(/RNN4514: .*load the bundle again on a new device/);
    await expect(model.run({ x: input(2) })).rejects.toThrow(/RNN4514/);
    const again = await BundleModel.load(dir, { device });
    const out = await again.run({ x: input(2) });
    for (const name of Object.keys(expected))
      Array.from(out[name]!.data).forEach((v, i) =>
        expect(Math.abs(v - expected[name]!.data[i]!)).toBeLessThan(1e-5),
      );
    again.destroy();
  });

  it("many runs in flight on one model, and on two models of one device, equal sequential runs", async () => {
    const { device } = gpu();
    const [a, b] = await Promise.all([
      BundleModel.load(dir, { device }),
      BundleModel.load(dir, { device }),
    ]);
    const calls = 200;
    const sequential: Outputs[] = [];
    for (let k = 0; k < calls; k++) sequential.push(await a.run({ x: input(k) }));
    const concurrent = await Promise.all(
      Array.from({ length: calls }, (_, k) => (k % 2 ? a : b).run({ x: input(k) })),
    );
    concurrent.forEach((out, k) => same(sequential[k]!, out));
  });

  it("streams of one model keep separate states", async () => {
    const { device } = gpu();
    const model = await BundleModel.load(dir, { device });
    const [one, two] = [model.stream(), model.stream()];
    const x1 = input(3, 4).map((seq) => seq.slice(0, 3));
    const x2 = input(4, 4).map((seq) => seq.slice(0, 3));
    // Interleaved steps of two streams equal each stream alone.
    const mixed: Outputs[][] = [[], []];
    for (let t = 0; t < 3; t++) {
      mixed[0]!.push(await one.step({ x: x1.map((seq) => seq[t]!) }));
      mixed[1]!.push(await two.step({ x: x2.map((seq) => seq[t]!) }));
    }
    for (const [k, xs] of [x1, x2].entries()) {
      const alone = model.stream();
      for (let t = 0; t < 3; t++)
        same(mixed[k]![t]!, await alone.step({ x: xs.map((seq) => seq[t]!) }));
      alone.destroy();
    }
    model.destroy();
  });
});
