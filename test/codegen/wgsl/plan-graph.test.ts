// The naive WebGPU plan as data (no device needed): JSON round trip and validity, scans
// rejected, one dispatch per op (concat: one per input; reshape and same-type cast: none),
// shaders shared across shapes and deduplicated, uniform layouts and broadcast coalescing.
import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { broadcastLayout } from "../../../compiler/codegen/wgsl/broadcast.ts";
import { NAIVE_KERNELS } from "../../../compiler/codegen/wgsl/index.ts";
import { UniformLayout } from "../../../compiler/codegen/wgsl/kernel.ts";
import { planGraph, PlanGraphError } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { Graph } from "../../../compiler/ir/graph.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { PLAN_VERSION, validatePlan, type Plan } from "../../../runtime/webgpu/plan.ts";
import { checkOk } from "../../support/check.ts";

function textbook(batch: number, steps: number, until?: string) {
  const source = readFileSync(new URL("../../../examples/textbook.rnn", import.meta.url), "utf8");
  const model = checkOk(source).models[0]!;
  return compileModel(model, {
    batch,
    steps: { T: steps },
    mode: "infer",
    ...(until ? { until } : {}),
  });
}

function shaderNames(plan: Plan): string[] {
  return plan.shaders.map((s) => s.name).sort();
}

describe("planGraph", () => {
  it("rejects a graph that still has scans", () => {
    const scanned = textbook(2, 3, "hoist-input-projections");
    expect(() => planGraph(scanned)).toThrow(PlanGraphError);
    expect(() => planGraph(scanned)).toThrow(
      /needs an unrolled graph \(run the 'unroll' pass first\)/,
    );
  });

  it("writes a valid, JSON-serialisable plan", () => {
    const plan = planGraph(textbook(2, 3));
    expect(plan.version).toBe(PLAN_VERSION);
    validatePlan(plan);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(Object.keys(plan.inputs).sort()).toEqual(["lengths.T", "x"]);
    expect(plan.inputs.x).toMatchObject({ shape: [2, 3, 10], dtype: "f32", required: true });
    expect(plan.outputs.prediction).toMatchObject({ shape: [2, 5], dtype: "f32" });
    expect(Object.keys(plan.params)).toHaveLength(34);
    for (const b of plan.buffers) expect(b.byteSize).toBeGreaterThanOrEqual(4);
  });

  it("dispatches once per op, once per concat input, never for sources, reshapes and same-type casts", () => {
    const graph = textbook(3, 4);
    const plan = planGraph(graph);
    const live = new Set(graph.outputs.values());
    for (const node of [...graph.nodes].reverse())
      if (live.has(node)) node.inputs.forEach((n) => live.add(n));
    let expected = 0;
    for (const node of live) {
      if (["input", "param", "const", "reshape"].includes(node.op)) continue;
      if (node.op === "cast" && node.inputs[0]!.dtype === node.dtype) continue;
      expected += node.op === "concat" ? node.inputs.length : 1;
    }
    expect(plan.dispatches).toHaveLength(expected);
    // Node order, labelled by node.
    expect(plan.dispatches[0]!.label).toMatch(/^%\d+ [a-z_]+$/);
  });

  it("shares one shader per kernel family across shapes, batch sizes and step counts", () => {
    const small = planGraph(textbook(2, 3));
    const large = planGraph(textbook(5, 9));
    expect(large.shaders.map((s) => s.code)).toEqual(small.shaders.map((s) => s.code));
    expect(new Set(small.shaders.map((s) => s.code)).size).toBe(small.shaders.length);
    expect(shaderNames(small)).toEqual([
      "compare_i32",
      "copy_u32",
      "map_f32",
      "matmul_f32",
      "select_u32",
      "zip_f32",
    ]);
  });

  it("builds every kernel from the same frame: uniform block at binding 0, 64 or 8x8 invocations", () => {
    const g = new Graph();
    const x = g.input("x", "float", [4, 6]);
    const i = g.input("i", "int", [4, 2]);
    const nodes = [
      g.node("softmax", [x], { axis: 1 }),
      g.node("topk", [x], { k: 2 }),
      g.node("matmul", [x, x], { transposeB: true }),
      g.node("take_along", [x, i]),
      g.node("sample", [x, g.constant(0, "int", [])], { seed: 1, temperature: 1 }),
      g.node("layernorm", [x], { eps: 1e-5 }),
    ];
    nodes.forEach((n, k) => g.output(`y${k}`, n));
    for (const shader of planGraph(g).shaders) {
      expect(shader.code).toMatch(/^\/\/ rnnc naive kernel: [a-z_0-9]+\n/);
      expect(shader.code).toContain("@group(0) @binding(0) var<uniform> uniforms: Uniforms;");
      expect(shader.code).toMatch(/@workgroup_size\((64|8, 8)\)/);
      expect(shader.layout.at(-1)).toBe("read_write");
    }
  });

  it("plans consts as filled buffers (exact bits) and outputs that alias sources", () => {
    const g = new Graph();
    const x = g.input("x", "float", [2]);
    g.output("x", x);
    g.output("r", g.node("reshape", [x], { shape: [1, 2] }));
    g.output("c", g.constant(-0, "float", [3]));
    g.output("k", g.constant(-2, "int", []));
    const plan = planGraph(g);
    expect(plan.dispatches).toHaveLength(0);
    expect(plan.outputs.r!.buffer).toBe(plan.inputs.x!.buffer);
    expect(plan.buffers[plan.outputs.c!.buffer]).toMatchObject({
      role: "constant",
      fillBits: 0x80000000,
    });
    expect(plan.buffers[plan.outputs.k!.buffer]).toMatchObject({
      role: "constant",
      fillBits: 0xfffffffe,
    });
  });

  it("has a small catalogue of distinct kernels", () => {
    expect(NAIVE_KERNELS.map((k) => k.name)).toEqual([
      "map_f32",
      "zip_f32",
      "zip_i32",
      "compare_i32",
      "select_u32",
      "cast_u32",
      "matmul_f32",
      "reduce_f32",
      "reduce_i32",
      "argmax_f32",
      "argmax_i32",
      "topk_f32",
      "topk_i32",
      "softmax_f32",
      "layernorm_f32",
      "copy_u32",
      "strided_u32",
      "gather_u32",
      "take_along_u32",
      "iota_u32",
      "uniform_f32",
      "sample_f32",
    ]);
    expect(new Set(NAIVE_KERNELS.map((k) => k.code)).size).toBe(NAIVE_KERNELS.length);
  });

  it("prints the dispatch list and the WGSL under RNNC_DEBUG=schedule,wgsl", () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const saved = process.env.RNNC_DEBUG;
    process.env.RNNC_DEBUG = "schedule,wgsl";
    try {
      const g = new Graph();
      g.output("y", g.node("tanh", [g.input("x", "float", [2, 3])]));
      planGraph(g);
      const text = write.mock.calls.map((c) => String(c[0])).join("");
      expect(text).toContain("naive schedule: 1 dispatches per run, 1 shaders, 2 buffers");
      expect(text).toMatch(
        / {4}0 map_f32 +%1 tanh +0:f32\[2, 3\] 1:f32\[2, 3\] groups \[1, 1, 1\]/,
      );
      expect(text).toContain("── shader 0: map_f32 ──\n// rnnc naive kernel: map_f32");
    } finally {
      if (saved === undefined) delete process.env.RNNC_DEBUG;
      else process.env.RNNC_DEBUG = saved;
      write.mockRestore();
    }
  });

  it("names the node whose broadcast the kernels cannot express", () => {
    const g = new Graph();
    const a = g.input("a", "float", [2, 2, 2, 2, 2, 2, 2, 2, 2]);
    const b = g.input("b", "float", [2, 1, 2, 1, 2, 1, 2, 1, 2]);
    g.output("y", g.node("add", [a, b]));
    expect(() => planGraph(g)).toThrow(PlanGraphError);
    expect(() => planGraph(g)).toThrow(/^%2 add: broadcast of .* needs rank 9 > 8$/);
  });

  it("marks inputs and params that no output reads as not required", () => {
    const g = new Graph();
    const x = g.input("x", "float", [2]);
    g.input("unused", "int", [3]);
    g.param("w", [2]);
    g.output("y", g.node("exp", [x]));
    const plan = planGraph(g);
    expect(plan.inputs.x!.required).toBe(true);
    expect(plan.inputs.unused!.required).toBe(false);
    expect(plan.params.w!.required).toBe(false);
  });
});

describe("uniform layouts", () => {
  const layout = new UniformLayout({ count: "u32", alpha: "f32", dims: ["u32", 3], shift: "i32" });

  it("packs fields in order, f32 as bits, arrays zero-padded", () => {
    expect(layout.pack({ count: 7, alpha: 1, dims: [4, 5], shift: -1 })).toEqual([
      7, 0x3f800000, 4, 5, 0, 0xffffffff,
    ]);
    expect(() => layout.pack({ count: 1, alpha: 0, dims: [1, 2, 3, 4], shift: 0 })).toThrow(
      /holds 3/,
    );
  });

  it("declares the same offsets in WGSL", () => {
    const wgsl = layout.wgsl().join("\n");
    expect(wgsl).toContain("const U_DIMS = 2u;");
    expect(wgsl).toContain("fn u_alpha() -> f32 { return bitcast<f32>(word(1u)); }");
    expect(wgsl).toContain("fn u_dims(k: u32) -> u32 { return word(2u + k); }");
    expect(wgsl).toContain("fn u_shift() -> i32 { return bitcast<i32>(word(5u)); }");
  });
});

describe("broadcast layouts", () => {
  it("merges contiguous axes and drops size-1 axes", () => {
    expect(
      broadcastLayout(
        [2, 3, 4],
        [
          [2, 3, 4],
          [2, 3, 4],
        ],
      ),
    ).toEqual({
      dims: [24],
      strides: [[1], [1]],
    });
    expect(broadcastLayout([2, 3, 4], [[2, 3, 4], [4]])).toEqual({
      dims: [6, 4],
      strides: [
        [4, 1],
        [0, 1],
      ],
    });
    expect(
      broadcastLayout(
        [4, 5],
        [
          [4, 1],
          [1, 5],
        ],
      ),
    ).toEqual({
      dims: [4, 5],
      strides: [
        [1, 0],
        [0, 1],
      ],
    });
    expect(broadcastLayout([], [[], []])).toEqual({ dims: [1], strides: [[0], [0]] });
  });

  it("refuses patterns beyond the kernels' rank", () => {
    const out = [2, 2, 2, 2, 2, 2, 2, 2, 2];
    expect(() => broadcastLayout(out, [out, [2, 1, 2, 1, 2, 1, 2, 1, 2]])).toThrow(
      /needs rank 9 > 8/,
    );
  });
});
