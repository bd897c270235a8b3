// The plan executor (runtime/webgpu/executor.ts): one queue submission per run, params
// uploaded once, inputs validated with clear RNN43xx errors, pipelines shared per device,
// plans that survive JSON, queued runs, and no imports from the compiler or the DSL (here or
// in runtime/cpu, the CPU executor of the same plans).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { planGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { Graph } from "../../../compiler/ir/graph.ts";
import { ExecutorError, PlanExecutor } from "../../../runtime/webgpu/executor.ts";
import { pipelineCacheFor } from "../../../runtime/webgpu/pipelines.ts";
import type { Plan } from "../../../runtime/webgpu/plan.ts";
import { describeWebGpu } from "../../support/webgpu.ts";

/** y = tanh(x @ w + b), plus a few outputs that alias sources. */
function smallPlan(): Plan {
  const g = new Graph();
  const x = g.input("x", "float", [2, 3]);
  const n = g.input("n", "int", [2]);
  const w = g.param("w", [3, 4]);
  const b = g.param("b", [4]);
  g.output("y", g.node("tanh", [g.node("add", [g.node("matmul", [x, w]), b])]));
  g.output("n2", g.node("mul", [n, n]));
  g.output("x_again", g.node("reshape", [x], { shape: [6] }));
  g.output("x_itself", x);
  g.output("ones", g.constant(1, "float", [2]));
  return planGraph(g);
}

const X = Float32Array.from([0.1, -0.2, 0.3, 0.4, 0.5, -0.6]);
const W = Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 10);
const B = Float32Array.from([0.5, -0.5, 0.25, 0]);

function expectedY(x: Float32Array, w: Float32Array, b: Float32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 4; c++) {
      let acc = 0;
      for (let q = 0; q < 3; q++) acc += x[r * 3 + q]! * w[q * 4 + c]!;
      out.push(Math.tanh(acc + b[c]!));
    }
  }
  return out;
}

function expectNear(got: ArrayLike<number>, want: readonly number[]): void {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(1e-6));
}

describeWebGpu("PlanExecutor", (gpu) => {
  it("runs a plan and reads back every output (aliases of inputs and consts too)", async () => {
    const executor = await PlanExecutor.create(gpu().device, smallPlan());
    try {
      const out = await executor.run({ x: X, n: Int32Array.from([3, -4]) }, { w: W, b: B });
      expectNear(out.y!.data, expectedY(X, W, B));
      expect(out.y!.shape).toEqual([2, 4]);
      expect(out.n2!.data).toEqual(Int32Array.from([9, 16]));
      expect(Array.from(out.x_again!.data)).toEqual(Array.from(X));
      expect(out.x_again!.shape).toEqual([6]);
      expect(Array.from(out.x_itself!.data)).toEqual(Array.from(X));
      expect(Array.from(out.ones!.data)).toEqual([1, 1]);
    } finally {
      executor.destroy();
    }
  });

  it("submits to the queue once per run and uploads unchanged params only once", async () => {
    const { device } = gpu();
    const executor = await PlanExecutor.create(device, smallPlan());
    const submit = vi.spyOn(device.queue, "submit");
    const write = vi.spyOn(device.queue, "writeBuffer");
    try {
      const params = { w: W, b: B };
      await executor.run({ x: X, n: Int32Array.from([1, 2]) }, params);
      expect(submit).toHaveBeenCalledTimes(1);
      expect(write).toHaveBeenCalledTimes(4); // x, n, w, b
      await executor.run({ x: X, n: Int32Array.from([1, 2]) }, params);
      await executor.run({ x: X, n: Int32Array.from([1, 2]) });
      expect(submit).toHaveBeenCalledTimes(3);
      expect(write).toHaveBeenCalledTimes(8); // only x and n twice more
      const w2 = W.map((v) => -v);
      const out = await executor.run({ x: X, n: Int32Array.from([1, 2]) }, { w: w2 });
      expect(write).toHaveBeenCalledTimes(11); // x, n and the new w
      expectNear(out.y!.data, expectedY(X, w2, B));
    } finally {
      submit.mockRestore();
      write.mockRestore();
      executor.destroy();
    }
  });

  it("keeps queued runs apart (each sees its own inputs and params)", async () => {
    const executor = await PlanExecutor.create(gpu().device, smallPlan());
    try {
      const xs = [X, X.map((v) => v * 2), X.map((v) => -v)];
      const w2 = W.map((v) => v / 2);
      const runs = xs.map((x, i) =>
        executor.run({ x, n: Int32Array.from([i, i]) }, i === 2 ? { w: w2, b: B } : { w: W, b: B }),
      );
      const outs = await Promise.all(runs);
      outs.forEach((out, i) => {
        expectNear(out.y!.data, expectedY(xs[i]!, i === 2 ? w2 : W, B));
        expect(Array.from(out.n2!.data)).toEqual([i * i, i * i]);
      });
    } finally {
      executor.destroy();
    }
  });

  it("says clearly what is wrong with the inputs and params", async () => {
    const executor = await PlanExecutor.create(gpu().device, smallPlan());
    const n = Int32Array.from([1, 2]);
    const params = { w: W, b: B };
    const fails = async (run: Promise<unknown>, code: string, message: RegExp) => {
      const error = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ExecutorError);
      expect((error as ExecutorError).code).toBe(code);
      expect((error as Error).message).toMatch(message);
    };
    try {
      await fails(
        executor.run({ x: X, n }),
        "RNN4301",
        /param 'w' \(f32\[3, 4\]\) was never given/,
      );
      await fails(
        executor.run({ x: X }, params),
        "RNN4301",
        /missing input 'n' \(expected i32\[2\]\)/,
      );
      await fails(
        executor.run({ x: X, n, xx: X }, params),
        "RNN4302",
        /unknown input 'xx' \(the plan's inputs: x, n\)/,
      );
      await fails(executor.run({ x: X, n }, { ...params, v: W }), "RNN4302", /unknown param 'v'/);
      await fails(
        executor.run({ x: Int32Array.from(X), n }, params),
        "RNN4303",
        /input 'x': expected a Float32Array \(f32\[2, 3\]\), got Int32Array/,
      );
      await fails(
        executor.run({ x: X.subarray(1), n }, params),
        "RNN4304",
        /input 'x': expected 6 values \(f32\[2, 3\]\), got 5/,
      );
      await fails(
        executor.run({ x: { shape: [3, 2], data: X }, n }, params),
        "RNN4304",
        /input 'x': expected shape \[2, 3\], got \[3, 2\]/,
      );
      // A good run still works after the bad ones.
      const out = await executor.run({ x: { shape: [2, 3], data: X }, n }, params);
      expectNear(out.y!.data, expectedY(X, W, B));
    } finally {
      executor.destroy();
    }
  });

  it("refuses a plan of another version", async () => {
    const plan = { ...smallPlan(), version: 99 } as unknown as Plan;
    await expect(PlanExecutor.create(gpu().device, plan)).rejects.toThrow(
      /RNN4305: invalid plan: version 99, this executor reads version 1/,
    );
  });

  it("runs a plan that went through JSON, reusing the device's compiled pipelines", async () => {
    const { device } = gpu();
    const plan = smallPlan();
    const first = await PlanExecutor.create(device, plan);
    const compiled = pipelineCacheFor(device).compiled;
    const second = await PlanExecutor.create(device, JSON.parse(JSON.stringify(plan)) as Plan);
    expect(pipelineCacheFor(device).compiled).toBe(compiled);
    try {
      const feeds = [
        { x: X, n: Int32Array.from([5, 6]) },
        { w: W, b: B },
      ] as const;
      const a = await first.run(...feeds);
      const b = await second.run(...feeds);
      for (const name of Object.keys(a))
        expect(Array.from(b[name]!.data)).toEqual(Array.from(a[name]!.data));
    } finally {
      first.destroy();
      second.destroy();
    }
  });

  it("lets a run omit inputs and params that no output reads", async () => {
    const g = new Graph();
    const x = g.input("x", "float", [2]);
    g.input("unused", "int", [3]);
    g.param("w", [2]);
    g.output("y", g.node("neg", [x]));
    const executor = await PlanExecutor.create(gpu().device, planGraph(g));
    try {
      const out = await executor.run({ x: Float32Array.from([1, -2]) });
      expect(Array.from(out.y!.data)).toEqual([-1, 2]);
    } finally {
      executor.destroy();
    }
  });
});

describe("runtime/webgpu's and runtime/cpu's imports", () => {
  it("reach neither compiler/ nor dsl/ (a bundle runs with runtime/ alone)", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const start = ["runtime/webgpu", "runtime/cpu"].flatMap((dir) =>
      readdirSync(join(root, dir))
        .filter((f) => f.endsWith(".ts"))
        .map((f) => join(root, dir, f)),
    );
    expect(start.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining([
        "runtime/webgpu/executor.ts",
        "runtime/webgpu/plan-io.ts",
        "runtime/cpu/executor.ts",
        "runtime/cpu/kernels.ts",
      ]),
    );
    const seen = new Set<string>();
    const queue = [...start];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)) {
        const target = join(dirname(file), spec!);
        const where = relative(root, target);
        expect(where, `${relative(root, file)} imports ${spec}`).toMatch(/^runtime\//);
        queue.push(target);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(start.length);
  });
});
