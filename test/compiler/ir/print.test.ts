import { afterEach, describe, expect, it, vi } from "vitest";
import { Graph } from "../../../compiler/ir/graph.ts";
import { OPS, OP_NAMES } from "../../../compiler/ir/ops.ts";
import { printGraph } from "../../../compiler/ir/print.ts";
import { assertValid, verifyGraph } from "../../../compiler/ir/verify.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { checkOk } from "../../support/check.ts";

describe("the IR printer", () => {
  it("prints one node per line with its type, and scans with their step graph", () => {
    const g = new Graph("tiny");
    const x = g.input("x", "float", [2, 3]);
    const w = g.param("w", [4, 3]);
    g.output("y", g.node("tanh", [g.node("matmul", [x, w], { transposeB: true })]));
    expect(printGraph(g)).toBe(
      [
        "graph tiny",
        '  %0 = input "x" : float[2, 3]',
        '  %1 = param "w" : float[4, 3]',
        "  %2 = matmul(%0, %1) {transposeB: true} : float[2, 4]",
        "  %3 = tanh(%2) : float[2, 4]",
        "  output y = %3",
      ].join("\n"),
    );
    const model = checkOk(
      "model m {\n  input x: float[T, 2]\n  output y = encode(x, cell: rnn(hidden: 3)).final\n}",
    ).models[0]!;
    const text = printGraph(compileModel(model, { batch: 1, steps: { T: 2 }, until: "lower" }));
    expect(text).toMatch(
      /scan\(.*\) \{slices: 1, states: 1, consts: \d+, steps: 2, reverse: false\} : tuple/,
    );
    expect(text).toMatch(/body \(slices: %\d+; states: %\d+; consts: .*; step: %0\)/);
    expect(text).toMatch(/next: %\d+; outputs: %\d+/);
  });
});

describe("RNNC_DEBUG=passes", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("shows the IR after each pass", () => {
    vi.stubEnv("RNNC_DEBUG", "passes");
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const model = checkOk(
      "model m {\n  input x: float[T, 2]\n  output y = encode(x, cell: rnn(hidden: 3)).final\n}",
    ).models[0]!;
    compileModel(model, { batch: 1, steps: { T: 2 } });
    const text = written.join("");
    expect(text).toContain("── IR after lower ──\ngraph m");
    expect(text).toContain("── IR after unroll ──\ngraph m (unrolled)");
  });
});

describe("the op set", () => {
  it("documents every op", () => {
    for (const name of OP_NAMES) expect(OPS[name].doc.trim().length, name).toBeGreaterThan(1);
  });

  it("the verifier catches a node whose stored type is wrong", () => {
    const g = new Graph();
    const x = g.input("x", "float", [2, 3]);
    g.node("tanh", [x]);
    const forged = { ...g.nodes[1]!, shape: [3, 2] };
    (g.nodes as unknown[])[1] = forged;
    expect(verifyGraph(g).join("\n")).toMatch(
      /stored type float\[3,2\] differs from inferred float\[2,3\]/,
    );
    expect(() => assertValid(g)).toThrow(/invalid IR/);
  });
});
