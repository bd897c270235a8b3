// Per-op conformance of the naive WebGPU schedule (compiler/codegen/wgsl, one dispatch per
// op) against the reference interpreter in float32: every op of the IR on small graphs with
// broadcasting, ints, ties, NaN/infinities and edge sizes. Ints and data movement must match
// exactly, floats within FLOAT_TOLERANCE (1e-5 relative; gelu's negative tail absolutely,
// see UNARY_TOLERANCE). The worst relative error of each op is printed at the end.
import { afterAll, expect, it } from "vitest";
import { NAIVE_KERNELS } from "../../../compiler/codegen/wgsl/index.ts";
import { Graph } from "../../../compiler/ir/graph.ts";
import { tensor } from "../../../runtime/reference/tensor.ts";
import { pipelineCacheFor } from "../../../runtime/webgpu/pipelines.ts";
import { cases, floats, opCase, TESTED, type Case } from "../../support/op-cases.ts";
import { describeWebGpu } from "../../support/webgpu.ts";
import { expectClose, FLOAT_TOLERANCE, runOnGpu, runOnReference } from "./support.ts";

const worst = new Map<string, { rel: number; abs: number; label: string }>();

async function check(device: GPUDevice, c: Case): Promise<void> {
  const want = runOnReference(c.graph, c.feeds);
  const { outputs } = await runOnGpu(device, c.graph, c.feeds);
  for (const [name, w] of Object.entries(want)) {
    const d = expectClose(`${c.label} (${name})`, outputs[name], w, c.tol ?? FLOAT_TOLERANCE);
    const op = c.graph.outputs.get(name)!.op;
    const prior = worst.get(op);
    if (!prior || d.worst > prior.rel)
      worst.set(op, { rel: d.worst, abs: d.maxAbs, label: c.label });
  }
}

describeWebGpu("naive WebGPU kernels match the reference (float32)", (gpu) => {
  it("has cases for every op of the IR but scans", () => {
    for (const op of TESTED) expect(cases(op).length, op).toBeGreaterThan(0);
  });

  it("compiles every kernel of the catalogue", async () => {
    const cache = pipelineCacheFor(gpu().device);
    await Promise.all(NAIVE_KERNELS.map((k) => cache.pipeline(k)));
  });

  it.each(TESTED)("%s", async (op) => {
    for (const c of cases(op)) await check(gpu().device, c);
  });

  it("runs a dispatch of more than 65535 workgroups (a 2D grid)", async () => {
    const n = 65536 * 64 + 100;
    const x = tensor(
      "float",
      [n],
      Float32Array.from({ length: n }, (_, i) => (i % 1000) - 500),
    );
    await check(gpu().device, opCase("neg of 4M values", "neg", [x]));
    const a = floats([70000, 1, 2], 161);
    const b = floats([70000, 2, 1], 162);
    await check(gpu().device, opCase("70000 batched 1x1 matmuls", "matmul", [a, b]));
  });

  it("plans only what the outputs need", async () => {
    const g = new Graph();
    const x = g.input("x", "float", [3]);
    g.node("gather", [x, g.constant(9, "int", [2])]); // dead (and out of range)
    g.output("y", g.node("tanh", [x]));
    await check(gpu().device, {
      label: "dead nodes",
      graph: g,
      feeds: { inputs: { x: floats([3], 1) } },
    });
  });

  afterAll(() => {
    const rows = [...worst].map(
      ([op, w]) =>
        `  ${op.padEnd(13)} ${w.rel.toExponential(2)}  (max abs ${w.abs.toExponential(2)}; ${w.label})`,
    );
    if (rows.length > 0) console.log(`worst relative error per op:\n${rows.join("\n")}`);
  });
});
