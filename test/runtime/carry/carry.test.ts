// Carried values (ExecutorOptions.carry) on both executors: an output copied into an input's
// buffer after each run, in the same submission, so a state stays on the device between runs.
import { describe, expect, it } from "vitest";
import { planGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { Graph } from "../../../compiler/ir/graph.ts";
import { CpuPlanExecutor } from "../../../runtime/cpu/executor.ts";
import { PlanExecutor } from "../../../runtime/webgpu/executor.ts";
import type { Plan } from "../../../runtime/webgpu/plan.ts";
import { describeWebGpu } from "../../support/webgpu.ts";

/** s' = s + x, and y = 2 s' (an output beside the carried one). */
function accumulator(): Plan {
  const g = new Graph();
  const s = g.input("s", "float", [2]);
  const x = g.input("x", "float", [2]);
  const next = g.node("add", [s, x]);
  g.output("s_next", next);
  g.output("y", g.node("mul", [next, g.constant(2, "float", [])]));
  return planGraph(g);
}

interface Carrying {
  run(inputs: Record<string, Float32Array>): Promise<Record<string, { data: ArrayLike<number> }>>;
  resetCarried(): void;
}

async function checkCarry(executor: Carrying): Promise<void> {
  const x = Float32Array.from([1, 10]);
  const ys: number[][] = [];
  for (let i = 0; i < 3; i++) ys.push(Array.from((await executor.run({ x })).y!.data));
  expect(ys).toEqual([
    [2, 20],
    [4, 40],
    [6, 60],
  ]);
  executor.resetCarried();
  expect(Array.from((await executor.run({ x })).y!.data)).toEqual([2, 20]);
  // A run may still give the carried input.
  const given = await executor.run({ x, s: Float32Array.from([100, 100]) });
  expect(Array.from(given.y!.data)).toEqual([202, 220]);
  expect(Array.from((await executor.run({ x })).s_next!.data)).toEqual([102, 120]);
}

describe("carried values on the CPU executor", () => {
  it("copies the output into the input after each run; reset zeros it", async () => {
    await checkCarry(CpuPlanExecutor.create(accumulator(), { carry: { s: "s_next" } }));
  });

  it("refuses a carry between unknown or mismatched names (RNN4305)", () => {
    expect(() => CpuPlanExecutor.create(accumulator(), { carry: { s: "nope" } })).toThrow(
      /RNN4305: cannot carry output 'nope' into input 's': no such output/,
    );
  });
});

describeWebGpu("carried values on the WebGPU executor", (gpu) => {
  it("copies the output into the input on the device; reset zeros it", async () => {
    const executor = await PlanExecutor.create(gpu().device, accumulator(), {
      carry: { s: "s_next" },
    });
    await checkCarry(executor);
    executor.destroy();
  });
});
