import { it } from "vitest";
import { Graph } from "../../../compiler/ir/graph.ts";
import { tensor } from "../../../runtime/reference/tensor.ts";
import { describeWebGpu } from "../../support/webgpu.ts";
import { runOnGpu, runOnReference } from "./support.ts";
const SPECIAL = [
  0, -0, 1e-7, -1e-7, 1e-4, -1e-4, 0.3, -0.3, 0.49, -0.49, 0.51, -0.51, 0.6249, 0.6251, -0.6251, 1,
  -1, 2.5, -2.5, 6, -6, 8.5, -8.5, 19.9, 20, 20.1, -20, 44, -44, 88, 90, -90, 1e30, -1e30,
];
const SWEEP = Array.from({ length: 161 }, (_, i) => -20 + i * 0.25 + 0.01);
describeWebGpu("debug", (gpu) => {
  it("x", async () => {
    for (const op of ["silu"] as const) {
      const vals = [
        ...SPECIAL,
        NaN,
        Infinity,
        -Infinity,
        ...SWEEP,
        1 + 1e-3,
        1 - 1e-3,
        1 + 1e-5,
        0.999,
        1.5,
        0.75,
        1e-30,
        3e38,
        1e-3,
      ];
      const g = new Graph();
      g.output("y", g.node(op, [g.input("x", "float", [vals.length])]));
      const feeds = { inputs: { x: tensor("float", [vals.length], vals) } };
      const want = runOnReference(g, feeds).y!.data;
      const got = (await runOnGpu(gpu().device, g, feeds)).outputs.y!.data;
      vals.forEach((v, i) => {
        const r = Math.abs(got[i]! - want[i]!) / Math.abs(want[i]!);
        if (r > 1e-6 || i === 99 || Math.abs(got[i]! - want[i]!) > 5e-7)
          console.log(op, v, got[i], want[i], r);
      });
    }
  });
});
