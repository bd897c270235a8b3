// Per-op conformance of the CPU executor (runtime/cpu) on the naive plan against the
// reference interpreter in float32: the same cases and tolerances as the WebGPU kernels
// (test/support/op-cases.ts, shared with test/codegen/wgsl/ops.test.ts), plus a check that the cases reach every
// kernel family. No GPU needed. The worst relative error of each op is printed at the end.
import { afterAll, describe, expect, it } from "vitest";
import { NAIVE_KERNELS } from "../../../compiler/codegen/wgsl/index.ts";
import { planGraph } from "../../../compiler/codegen/wgsl/plan-graph.ts";
import { Graph } from "../../../compiler/ir/graph.ts";
import { tensor } from "../../../runtime/reference/tensor.ts";
import { expectClose, FLOAT_TOLERANCE, runOnReference } from "../../codegen/wgsl/support.ts";
import { cases, floats, opCase, TESTED, type Case } from "../../support/op-cases.ts";
import { runOnCpu } from "./support.ts";

const worst = new Map<string, { rel: number; abs: number; label: string }>();

function check(c: Case): void {
  const want = runOnReference(c.graph, c.feeds);
  const outputs = runOnCpu(c.graph, c.feeds);
  for (const [name, w] of Object.entries(want)) {
    const d = expectClose(`${c.label} (${name})`, outputs[name], w, c.tol ?? FLOAT_TOLERANCE);
    const op = c.graph.outputs.get(name)!.op;
    const prior = worst.get(op);
    if (!prior || d.worst > prior.rel)
      worst.set(op, { rel: d.worst, abs: d.maxAbs, label: c.label });
  }
}

describe("CPU kernels match the reference (float32)", () => {
  it("has cases for every op of the IR but scans, and they reach every kernel family", () => {
    const families = new Set<string>();
    for (const op of TESTED) {
      const list = cases(op);
      expect(list.length, op).toBeGreaterThan(0);
      for (const c of list) for (const s of planGraph(c.graph).shaders) families.add(s.name);
    }
    expect([...families].sort()).toEqual(NAIVE_KERNELS.map((k) => k.name).sort());
  });

  it.each(TESTED)("%s", (op) => {
    for (const c of cases(op)) check(c);
  });

  it("runs 70000 batched 1x1 matmuls and a large elementwise op", () => {
    check(
      opCase("70000 batched 1x1 matmuls", "matmul", [
        floats([70000, 1, 2], 161),
        floats([70000, 2, 1], 162),
      ]),
    );
    const n = 300_000;
    const x = tensor(
      "float",
      [n],
      Float32Array.from({ length: n }, (_, i) => (i % 1000) - 500),
    );
    check(opCase("neg of 300000 values", "neg", [x]));
  });

  it("runs larger matmuls through every blocked path (row and column remainders)", () => {
    check(
      opCase("matmul [7,300] @ [300,517]", "matmul", [
        floats([7, 300], 171),
        floats([300, 517], 172),
      ]),
    );
    check(
      opCase(
        "matmul transposeB [6,129] @ [131,129]^T",
        "matmul",
        [floats([6, 129], 173), floats([131, 129], 174)],
        {
          transposeB: true,
        },
      ),
    );
    check(
      opCase("matmul batched [3,5,64] @ [3,64,9]", "matmul", [
        floats([3, 5, 64], 175),
        floats([3, 64, 9], 176),
      ]),
    );
  });

  it("plans only what the outputs need", () => {
    const g = new Graph();
    const x = g.input("x", "float", [3]);
    g.node("gather", [x, g.constant(9, "int", [2])]); // dead (and out of range)
    g.output("y", g.node("tanh", [x]));
    check({ label: "dead nodes", graph: g, feeds: { inputs: { x: floats([3], 1) } } });
  });

  afterAll(() => {
    const rows = [...worst].map(
      ([op, w]) =>
        `  ${op.padEnd(13)} ${w.rel.toExponential(2)}  (max abs ${w.abs.toExponential(2)}; ${w.label})`,
    );
    if (rows.length > 0) console.log(`CPU: worst relative error per op:\n${rows.join("\n")}`);
  });
});
