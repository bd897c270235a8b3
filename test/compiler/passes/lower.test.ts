import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Graph } from "../../../compiler/ir/graph.ts";
import { StructureTable } from "../../../compiler/ir/structure.ts";
import { verifyGraph } from "../../../compiler/ir/verify.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { checkOk } from "../../support/check.ts";
import { randomModel } from "../../support/random-models.ts";

const LSTM_COPY = `
cell my_lstm(hidden: K) {
  input x
  state h: [K], c: [K]

  o = sigmoid(linear(x) + linear(h))
  g = tanh(linear(x) + linear(h))
  f = sigmoid(linear(x) + linear(h))
  i = sigmoid(linear(x) + linear(h))

  c' = f * c + i * g
  h' = o * tanh(c')
}
`;

function modelWith(cell: string, options = ""): string {
  return `model m {\n  input x: float[T, 3]\n  enc = encode(x, cell: ${cell}(hidden: 5)${options})\n  output final = enc.final\n  output outputs = enc.outputs\n}\n`;
}

describe("lowering treats standard cells as ordinary programs", () => {
  it.each(["", ", layers: 2, bidirectional"])(
    "a renamed, reordered copy of stdlib lstm gives the same IR%s",
    (options) => {
      const lower = (source: string, until?: string) =>
        compileModel(checkOk(source).models[0]!, {
          batch: 3,
          steps: { T: 4 },
          verify: true,
          until,
        });
      for (const until of ["lower", undefined]) {
        const table = new StructureTable();
        const stdlib = table.outputs(lower(modelWith("lstm", options), until));
        const copy = table.outputs(lower(LSTM_COPY + modelWith("my_lstm", options), until));
        expect(copy).toEqual(stdlib);
      }
    },
  );

  it("a different cell gives a different IR", () => {
    const table = new StructureTable();
    const lstm = table.outputs(
      compileModel(checkOk(modelWith("lstm")).models[0]!, { batch: 2, steps: { T: 3 } }),
    );
    const cifg = table.outputs(
      compileModel(checkOk(modelWith("cifg_lstm")).models[0]!, { batch: 2, steps: { T: 3 } }),
    );
    expect(cifg.final).not.toBe(lstm.final);
  });
});

describe("hash-consing", () => {
  it("returns the same object for a structurally equal node", () => {
    const g = new Graph();
    const x = g.input("x", "float", [2, 3]);
    const w = g.param("w", [4, 3]);
    const a = g.node("tanh", [g.node("matmul", [x, w], { transposeB: true })]);
    const b = g.node("tanh", [g.node("matmul", [x, w], { transposeB: true })]);
    expect(a).toBe(b);
    // Attribute order does not matter; attribute values do.
    expect(g.node("softmax", [x], { axis: 1, tag: "a" })).toBe(
      g.node("softmax", [x], { tag: "a", axis: 1 }),
    );
    expect(g.node("softmax", [x], { axis: 0 })).not.toBe(g.node("softmax", [x], { axis: 1 }));
  });

  it("shares step-invariant work across unrolled steps", () => {
    const graph = compileModel(checkOk(modelWith("lstm")).models[0]!, {
      batch: 2,
      steps: { T: 6 },
    });
    const params = graph.nodes.filter((n) => n.op === "param");
    expect(params.length).toBe(16);
    expect(graph.nodes.filter((n) => n.op === "scan").length).toBe(0);
  });
});

describe("random cells and models", () => {
  it("lower to IR that passes the verifier before and after unrolling, with equal structure reused", () => {
    fc.assert(
      fc.property(randomModel, (spec) => {
        const model = checkOk(spec.source).models[0]!;
        const options = { batch: spec.batch, steps: { T: spec.steps } };
        const scanned = compileModel(model, { ...options, until: "lower" });
        expect(verifyGraph(scanned)).toEqual([]);
        const unrolled = compileModel(model, options);
        expect(verifyGraph(unrolled)).toEqual([]);
        // Lowering twice gives structurally identical graphs, and within a graph no two nodes are equal.
        const table = new StructureTable();
        expect(table.outputs(compileModel(model, options))).toEqual(table.outputs(unrolled));
        const numbers = unrolled.nodes.map((n) => table.numberOf(n));
        expect(new Set(numbers).size).toBe(numbers.length);
      }),
      { numRuns: 300 },
    );
  });
});
