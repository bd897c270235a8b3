// The shape of the optimised IR: gate fusion leaves one matmul per operand in a step, and
// hoisting moves the input projections out of the recurrence — for any cell.
import { describe, expect, it } from "vitest";
import type { Graph } from "../../../compiler/ir/graph.ts";
import type { Node } from "../../../compiler/ir/node.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { checkOk } from "../../support/check.ts";

function optimised(cell: string, options = "") {
  const model = checkOk(
    `model m {\n  input x: float[T, 3]\n  enc = encode(x, cell: ${cell}${options})\n  output y = enc.final\n}`,
  ).models[0]!;
  return compileModel(model, {
    batch: 2,
    steps: { T: 5 },
    until: "hoist-input-projections",
    verify: true,
  });
}

function scans(graph: Graph): Node[] {
  return graph.nodes.filter((n) => n.op === "scan");
}

function matmulsIn(graph: Graph): Node[] {
  return graph.nodes.filter((n) => n.op === "matmul");
}

describe("gate fusion and input hoisting", () => {
  it("leave an LSTM step one recurrent [B, H] x [4H, H] product and hoist the [B·T, I] x [4H, I] one", () => {
    const graph = optimised("lstm(hidden: 4)");
    const [scan] = scans(graph);
    const inside = matmulsIn(scan!.body!.graph as Graph);
    expect(inside.map((m) => [m.inputs[0]!.shape, m.inputs[1]!.shape])).toEqual([
      [
        [2, 4],
        [16, 4],
      ],
    ]);
    const outside = matmulsIn(graph);
    expect(outside.map((m) => [m.inputs[0]!.shape, m.inputs[1]!.shape])).toEqual([
      [
        [2, 5, 3],
        [16, 3],
      ],
    ]);
  });

  it("fuse both directions and all layers of a stacked bidirectional GRU the same way", () => {
    const graph = optimised("gru(hidden: 4)", ", layers: 2, bidirectional");
    expect(scans(graph).length).toBe(4);
    for (const scan of scans(graph)) expect(matmulsIn(scan.body!.graph as Graph).length).toBe(1);
    expect(matmulsIn(graph).map((m) => m.shape)).toEqual([
      [2, 5, 12],
      [2, 5, 12],
      [2, 5, 12],
      [2, 5, 12],
    ]);
  });

  it.each([
    "peephole_lstm",
    "layernorm_lstm",
    "cifg_lstm",
    "indrnn",
    "mingru",
    "minlstm",
    "gru_cho",
    "clipped_gru",
    "rnn",
  ])("stdlib %s keeps at most one matmul per operand in its step", (cell) => {
    const [scan] = scans(optimised(`${cell}(hidden: 4)`));
    const inside = matmulsIn(scan!.body!.graph as Graph);
    const operands = new Set(inside.map((m) => m.inputs[0]));
    expect(inside.length).toBe(operands.size);
    // Nothing in the step multiplies the input x any more.
    expect(inside.every((m) => m.inputs[0]!.attrs.name !== "x")).toBe(true);
  });
});
