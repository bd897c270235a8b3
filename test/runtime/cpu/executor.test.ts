// The CPU plan executor (runtime/cpu/executor.ts): the WebGPU executor's API and RNN43xx
// errors, params taken once, aliased buffers, plans that survive JSON, bad plans refused, and
// the uniform-word contract (runtime/cpu/layouts.ts) equal to the compiler's layouts.
import { describe, expect, it } from "vitest";
import { MAX_RANK as COMPILER_MAX_RANK } from "../../../compiler/codegen/wgsl/broadcast.ts";
import * as elementwise from "../../../compiler/codegen/wgsl/elementwise.ts";
import { NAIVE_KERNELS } from "../../../compiler/codegen/wgsl/index.ts";
import type { FieldType, UniformLayout } from "../../../compiler/codegen/wgsl/kernel.ts";
import * as matmul from "../../../compiler/codegen/wgsl/matmul.ts";
import * as movement from "../../../compiler/codegen/wgsl/movement.ts";
import { planGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import * as reduce from "../../../compiler/codegen/wgsl/reduce.ts";
import { Graph } from "../../../compiler/ir/graph.ts";
import { CpuPlanExecutor, ExecutorError } from "../../../runtime/cpu/executor.ts";
import * as layouts from "../../../runtime/cpu/layouts.ts";
import type { Plan } from "../../../runtime/webgpu/plan.ts";

/** y = tanh(x @ w + b), plus a few outputs that alias sources (as the WebGPU executor test). */
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

describe("CpuPlanExecutor", () => {
  it("runs a plan and reads back every output (aliases of inputs and consts too)", async () => {
    const executor = CpuPlanExecutor.create(smallPlan());
    expect(executor.dispatchCount).toBe(4);
    const out = await executor.run({ x: X, n: Int32Array.from([3, -4]) }, { w: W, b: B });
    expectNear(out.y!.data, expectedY(X, W, B));
    expect(out.y!.shape).toEqual([2, 4]);
    expect(out.n2!.data).toEqual(Int32Array.from([9, 16]));
    expect(Array.from(out.x_again!.data)).toEqual(Array.from(X));
    expect(out.x_again!.shape).toEqual([6]);
    expect(Array.from(out.x_itself!.data)).toEqual(Array.from(X));
    expect(Array.from(out.ones!.data)).toEqual([1, 1]);
    // Outputs are fresh arrays: a later run does not change them.
    const before = Array.from(out.y!.data);
    executor.runSync({ x: X.map((v) => -v), n: Int32Array.from([1, 1]) });
    expect(Array.from(out.y!.data)).toEqual(before);
  });

  it("keeps params between runs, takes new arrays, and setParams works before a run", () => {
    const executor = CpuPlanExecutor.create(smallPlan());
    executor.setParams({ w: W, b: B });
    const n = Int32Array.from([1, 2]);
    expectNear(executor.runSync({ x: X, n }).y!.data, expectedY(X, W, B));
    const w2 = W.map((v) => -v);
    expectNear(executor.runSync({ x: X, n }, { w: w2 }).y!.data, expectedY(X, w2, B));
    expectNear(executor.runSync({ x: X, n }).y!.data, expectedY(X, w2, B));
  });

  it("shares buffers where the plan aliases them (reshape, same-type cast) and reads int/float bits raw", () => {
    const g = new Graph();
    const x = g.input("x", "float", [2, 3]);
    const r = g.node("reshape", [g.node("exp", [x])], { shape: [3, 2] });
    const c = g.node("cast", [r], { to: "float" });
    g.output("r", r);
    g.output("y", g.node("add", [c, g.constant(1, "float", [2])]));
    g.output("i", g.node("cast", [c], { to: "int" }));
    const plan = planGraph(g);
    expect(plan.outputs.r!.buffer).toBe(plan.dispatches[0]!.buffers[1]);
    const xs = Float32Array.from([0, 1, 2, -1, -2, 3]);
    const out = CpuPlanExecutor.create(plan).runSync({ x: xs });
    const e = Array.from(xs, (v) => Math.fround(Math.exp(v)));
    expect(Array.from(out.r!.data)).toEqual(e);
    expect(Array.from(out.y!.data)).toEqual(e.map((v) => Math.fround(v + 1)));
    expect(Array.from(out.i!.data)).toEqual(e.map((v) => Math.trunc(v)));
  });

  it("says clearly what is wrong with the inputs and params (the WebGPU executor's errors)", async () => {
    const executor = CpuPlanExecutor.create(smallPlan());
    const n = Int32Array.from([1, 2]);
    const params = { w: W, b: B };
    const fails = async (run: () => Promise<unknown>, code: string, message: RegExp) => {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ExecutorError);
      expect((error as ExecutorError).code).toBe(code);
      expect((error as Error).message).toMatch(message);
    };
    await fails(
      () => executor.run({ x: X, n }),
      "RNN4301",
      /param 'w' \(f32\[3, 4\]\) was never given/,
    );
    await fails(
      () => executor.run({ x: X }, params),
      "RNN4301",
      /missing input 'n' \(expected i32\[2\]\)/,
    );
    await fails(
      () => executor.run({ x: X, n, xx: X }, params),
      "RNN4302",
      /unknown input 'xx' \(the plan's inputs: x, n\)/,
    );
    await fails(
      () => executor.run({ x: X, n }, { ...params, v: W }),
      "RNN4302",
      /unknown param 'v'/,
    );
    await fails(
      () => executor.run({ x: Int32Array.from(X), n }, params),
      "RNN4303",
      /input 'x': expected a Float32Array \(f32\[2, 3\]\), got Int32Array/,
    );
    await fails(
      () => executor.run({ x: X.subarray(1), n }, params),
      "RNN4304",
      /input 'x': expected 6 values \(f32\[2, 3\]\), got 5/,
    );
    await fails(
      () => executor.run({ x: { shape: [3, 2], data: X }, n }, params),
      "RNN4304",
      /input 'x': expected shape \[2, 3\], got \[3, 2\]/,
    );
    expect(() => executor.runSync({ x: X, n }, { w: Int32Array.from(W) })).toThrow(
      /RNN4303: param 'w'/,
    );
    // Nothing was taken from the bad runs: w is still missing, and a good run works.
    await fails(() => executor.run({ x: X, n }, { b: B }), "RNN4301", /param 'w'/);
    const out = await executor.run({ x: { shape: [2, 3], data: X }, n }, params);
    expectNear(out.y!.data, expectedY(X, W, B));
  });

  it("refuses a plan of another version, and one with a shader it has no kernel for", () => {
    const plan = smallPlan();
    expect(() => CpuPlanExecutor.create({ ...plan, version: 99 } as unknown as Plan)).toThrow(
      /RNN4305: invalid plan: version 99, this executor reads version 1/,
    );
    const renamed = { ...plan, shaders: plan.shaders.map((s) => ({ ...s, name: `${s.name}_x` })) };
    expect(() => CpuPlanExecutor.create(renamed)).toThrow(
      /RNN4305: invalid plan: dispatch 0 \(%\d+ matmul\): no CPU kernel for shader 'matmul_f32_x'/,
    );
    const badOp = {
      ...plan,
      dispatches: plan.dispatches.map((d) =>
        d.label.endsWith("tanh") ? { ...d, uniforms: [d.uniforms[0]!, 99, 0] } : d,
      ),
    };
    expect(() => CpuPlanExecutor.create(badOp)).toThrow(/RNN4305: .*map_f32: op code 99/);
  });

  it("runs a plan that went through JSON, with the same results", () => {
    const plan = smallPlan();
    const feeds = [
      { x: X, n: Int32Array.from([5, 6]) },
      { w: W, b: B },
    ] as const;
    const a = CpuPlanExecutor.create(plan).runSync(...feeds);
    const b = CpuPlanExecutor.create(JSON.parse(JSON.stringify(plan)) as Plan).runSync(...feeds);
    for (const name of Object.keys(a))
      expect(Array.from(b[name]!.data)).toEqual(Array.from(a[name]!.data));
  });

  it("lets a run omit inputs and params that no output reads", () => {
    const g = new Graph();
    const x = g.input("x", "float", [2]);
    g.input("unused", "int", [3]);
    g.param("w", [2]);
    g.output("y", g.node("neg", [x]));
    const out = CpuPlanExecutor.create(planGraph(g)).runSync({ x: Float32Array.from([1, -2]) });
    expect(Array.from(out.y!.data)).toEqual([-1, 2]);
  });
});

describe("runtime/cpu/layouts.ts", () => {
  const offsets = (layout: UniformLayout<Record<string, FieldType>>) =>
    Object.fromEntries(Object.keys(layout.fields).map((f) => [f, layout.offset(f)]));

  it("places every uniform field where the compiler's UniformLayout does", () => {
    const compiler = {
      map: elementwise.MAP_UNIFORMS,
      zip: elementwise.ZIP_UNIFORMS,
      select: elementwise.SELECT_UNIFORMS,
      cast: elementwise.CAST_UNIFORMS,
      matmul: matmul.MATMUL_UNIFORMS,
      axis: reduce.AXIS_UNIFORMS,
      topk: reduce.TOPK_UNIFORMS,
      layernorm: reduce.LAYERNORM_UNIFORMS,
      copy: movement.COPY_UNIFORMS,
      strided: movement.STRIDED_UNIFORMS,
      gather: movement.GATHER_UNIFORMS,
      take: movement.TAKE_UNIFORMS,
      iota: movement.IOTA_UNIFORMS,
      uniform: movement.UNIFORM_UNIFORMS,
      sample: movement.SAMPLE_UNIFORMS,
    } as const;
    expect(Object.keys(layouts.LAYOUTS).sort()).toEqual(Object.keys(compiler).sort());
    for (const [name, layout] of Object.entries(compiler))
      expect(layouts.LAYOUTS[name as keyof typeof compiler], name).toEqual(offsets(layout));
    expect(layouts.MAX_RANK).toBe(COMPILER_MAX_RANK);
    expect(layouts.MAX_BATCH_RANK).toBe(matmul.MAX_BATCH_RANK);
  });

  it("numbers the ops as the compiler's op tables do", () => {
    expect(layouts.UNARY_OPS).toEqual(Object.keys(elementwise.UNARY_OPS));
    expect(layouts.FLOAT_BINARY_OPS).toEqual(Object.keys(elementwise.FLOAT_BINARY_OPS));
    expect(layouts.INT_BINARY_OPS).toEqual(Object.keys(elementwise.INT_BINARY_OPS));
    expect(layouts.INT_COMPARE_OPS).toEqual(Object.keys(elementwise.INT_COMPARE_OPS));
    expect(layouts.REDUCE_OPS).toEqual(reduce.REDUCE_OPS);
    expect(layouts.SOFTMAX_OPS).toEqual(reduce.SOFTMAX_OPS);
    expect(layouts.CAST_MODES).toEqual(elementwise.CAST_MODES);
  });

  it("has a kernel for every family of the catalogue, binding as many buffers", () => {
    expect(Object.keys(layouts.BINDINGS).sort()).toEqual(NAIVE_KERNELS.map((k) => k.name).sort());
    for (const k of NAIVE_KERNELS) expect(layouts.BINDINGS[k.name], k.name).toBe(k.layout.length);
  });
});
