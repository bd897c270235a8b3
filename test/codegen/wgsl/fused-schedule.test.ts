// The fused WebGPU schedule's shape, without running it (the conformance suite runs it):
// the textbook 2-layer LSTM at batch 32 and 100 steps in a handful of dispatches, the same
// kernels for a cell whatever the order of its equations, and every stdlib cell fused (the
// schedules are printed so a reader sees what each became).
import { describe, expect, it } from "vitest";
import { prelude } from "../../../compiler/check/index.ts";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { describeSchedule } from "../../../compiler/codegen/wgsl/describe.ts";
import { scheduleWebGpu } from "../../../compiler/codegen/wgsl/schedule.ts";
import { withGradients } from "../../../compiler/autodiff/reverse.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import type { Plan } from "../../../runtime/webgpu/plan.ts";
import { checkOk } from "../../support/check.ts";

function schedule(model: CheckedModel, batch: number, steps: number) {
  const graph = compileModel(model, {
    batch,
    steps: { T: steps },
    mode: "infer",
    until: "hoist-input-projections",
  });
  return scheduleWebGpu(graph);
}

const perRun = (plan: Plan) => plan.dispatches.filter((d) => d.when !== "params").length;

const W1 = `model w1 {
  input x: float[T, 10]
  enc = encode(x, cell: lstm(hidden: 128), layers: 2)
  output prediction = linear(enc.final, 5)
}`;

describe("the fused schedule", () => {
  it("runs the 2-layer LSTM (input 10, hidden 128, batch 32, 100 steps) in at most 6 dispatches", () => {
    const s = schedule(checkOk(W1).models[0]!, 32, 100);
    console.log(describeSchedule(s.plan));
    expect(s.kind).toBe("fused");
    expect(perRun(s.plan)).toBeLessThanOrEqual(6);
    // Two persistent recurrences; nothing is dispatched per step.
    expect(s.plan.dispatches.filter((d) => d.label.includes("scan"))).toHaveLength(2);
    // Batch and steps travel in the uniforms (words 0 and 1), sizes are baked in.
    const scan = s.plan.dispatches.find((d) => d.label.includes("scan"))!;
    expect(scan.uniforms.slice(0, 2)).toEqual([32, 100]);
    expect(s.plan.shaders[scan.shader]!.code).toContain("min(u_steps(), 100u)");
  });

  it("has a dispatch count independent of the sequence length", () => {
    const model = checkOk(W1).models[0]!;
    expect(perRun(schedule(model, 4, 7).plan)).toBe(perRun(schedule(model, 4, 300).plan));
  });

  it("compiles a renamed lstm with its equations reordered to the same kernels as lstm", () => {
    const renamed = `cell my_lstm(hidden: H) {
  input x
  state h: [H], c: [H]

  o = sigmoid(linear(x) + linear(h))
  g = tanh(linear(x) + linear(h))
  f = sigmoid(linear(x) + linear(h))
  i = sigmoid(linear(x) + linear(h))

  c' = f * c + i * g
  h' = o * tanh(c')
}
`;
    const model = (cell: string) => `${cell === "my_lstm" ? renamed : ""}model m {
  input x: float[T, 6]
  enc = encode(x, cell: ${cell}(hidden: 32), layers: 2, bidirectional)
  output y = linear(enc.final, 3)
}`;
    const shaders = (cell: string) =>
      schedule(checkOk(model(cell)).models[0]!, 8, 20).plan.shaders.map((s) => s.code);
    const [stdlib, mine] = [shaders("lstm"), shaders("my_lstm")];
    expect(stdlib.length).toBeGreaterThan(0);
    expect(mine).toEqual(stdlib);
  });

  it.each([...prelude().keys()])("fuses the stdlib cell %s", (cell) => {
    const info = prelude().get(cell)!;
    const sizes = info.sizes.map((s) => `${s.option}: ${s.option === "proj" ? 6 : 16}`);
    const model = checkOk(`model cell_${cell} {
  input x: float[T, 5]
  enc = encode(x, cell: ${cell}(${sizes.join(", ")}), layers: 2, bidirectional)
  output outputs = enc.outputs
  output final = enc.final
}`).models[0]!;
    const s = schedule(model, 4, 50);
    console.log(`${cell}:\n${describeSchedule(s.plan)}`);
    expect(s.kind, s.reason).toBe("fused");
    // A few kernels per layer (input projections, normalisation statistics), whatever the
    // number of steps: nothing is dispatched per step or per op of the step.
    expect(perRun(s.plan)).toBe(perRun(schedule(model, 4, 5).plan));
    expect(perRun(s.plan)).toBeLessThanOrEqual(16);
    const scans = s.plan.dispatches.filter((d) => d.label.includes("scan"));
    expect(scans).toHaveLength(2);
    for (const d of scans) expect(d.workgroups[1]).toBe(2);
  });
});

describe("the fused schedule of training", () => {
  it("runs a differentiated LSTM as persistent forward and backward scans", () => {
    const model = checkOk(`model m {
  input x: float[T, 2]
  input y: float[1] for training
  enc = encode(x, cell: lstm(hidden: 32), dropout: 0.1, layers: 2)
  output s = linear(enc.final, 1)
  loss mse(s, y)
}`).models[0]!;
    const graph = compileModel(model, {
      batch: 16,
      steps: { T: 100 },
      mode: "train",
      until: "hoist-input-projections",
    });
    const s = scheduleWebGpu(withGradients(graph, { loss: "loss" }));
    console.log(describeSchedule(s.plan));
    expect(s.kind, s.reason).toBe("fused");
    // Two layers forward, two backward; the weight gradients are matmuls after the scans.
    expect(s.plan.dispatches.filter((d) => d.label.includes("scan"))).toHaveLength(4);
    expect(perRun(s.plan)).toBe(
      perRun(
        scheduleWebGpu(
          withGradients(
            compileModel(model, {
              batch: 16,
              steps: { T: 7 },
              mode: "train",
              until: "hoist-input-projections",
            }),
            { loss: "loss" },
          ),
        ).plan,
      ),
    );
  });
});
