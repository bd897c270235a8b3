import { describe, expect, it } from "vitest";
import { difference, formatDifference } from "../../bench/compare.ts";
import { stats } from "../../bench/measure.ts";
import { DT, encodeModel, GraphBuilder } from "../../bench/onnx/proto.ts";
import { formatRatio, formatTime, gflops } from "../../bench/report.ts";
import { WORKLOADS } from "../../bench/workloads.ts";

const byId = (id: string) => WORKLOADS.find((w) => w.id === id)!;

describe("FLOP counts", () => {
  it("W1 and W3 are the documented 1.29 and 37.7 GFLOP", () => {
    expect(byId("W1").flops).toBe(
      2 * 32 * 100 * 512 * (10 + 128) + 2 * 32 * 100 * 512 * 256 + 2 * 32 * 128 * 5,
    );
    expect(byId("W1").flops / 1e9).toBeCloseTo(1.291, 3);
    expect(byId("W3").flops / 1e9).toBeCloseTo(37.7, 1);
  });

  it("a training step is 3 forward passes; GRU has 3 gates", () => {
    expect(byId("W5").flops).toBe(3 * byId("W1").flops);
    const w2 = byId("W2").flops - 2 * 32 * 128 * 5;
    const w1 = byId("W1").flops - 2 * 32 * 128 * 5;
    expect(w2 / w1).toBeCloseTo(3 / 4, 10);
  });

  it("W8 counts the encoder and every decoding step with its head", () => {
    const cell = 2 * 16 * 4 * 256 * (128 + 256);
    expect(byId("W8").flops).toBe(30 * cell + 30 * (cell + 2 * 16 * 256 * 1000));
  });
});

describe("statistics and formatting", () => {
  it("median of odd and even counts, min, max", () => {
    expect(stats([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, runs: 3 });
    expect(stats([4, 1, 3, 2]).median).toBe(2.5);
  });

  it("times in the workload's unit, ratios and GFLOP/s", () => {
    expect(formatTime(1234.5, "ms")).toBe("1,235");
    expect(formatTime(0.0496, "µs")).toBe("49.6");
    expect(formatTime(7.354, "ms")).toBe("7.35");
    expect(formatRatio(582, 45)).toBe("13×");
    expect(formatRatio(9, 18)).toBe("0.50×");
    expect(formatRatio(9, undefined)).toBe("—");
    expect(gflops(1.29e9, 10)).toBe("129");
  });

  it("differences: max |a - b| of floats, differing tokens of ints", () => {
    const d = difference(Float32Array.of(1, 2, 3), Float32Array.of(1, 2.5, 2.75));
    expect(d.value).toBe(0.5);
    expect(formatDifference(difference(Int32Array.of(1, 2, 3), Int32Array.of(1, 5, 3)))).toBe(
      "1/3 tokens differ",
    );
    expect(difference(Float32Array.of(1), Float32Array.of(1, 2)).problem).toMatch(/2 values/);
  });
});

describe("ONNX writer", () => {
  it("a model it writes runs on onnxruntime-node", async () => {
    const ort = await import("onnxruntime-node");
    const g = new GraphBuilder();
    const w = g.constant("w", [3, 2], Float32Array.of(1, 0, 0, 1, 1, 1)); // [out 3, in 2]
    const b = g.constant("b", [3], Float32Array.of(0.5, 0, -1));
    const y = g.op("Gemm", ["x", w, b], { transB: 1, alpha: { float: 2 } });
    const [first] = g.node("Split", [y], { axis: 1 }, 3);
    g.output(g.op("Tanh", [y]), "out");
    g.output(first!, "first");
    const model = encodeModel({
      name: "t",
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: "x", type: DT.float, dims: ["B", 2] }],
      outputs: [
        { name: "out", type: DT.float, dims: ["B", 3] },
        { name: "first", type: DT.float, dims: ["B", 1] },
      ],
      opset: 17,
    });
    const session = await ort.InferenceSession.create(model);
    const x = new ort.Tensor("float32", Float32Array.of(0.1, 0.2, -0.3, 0.4), [2, 2]);
    const out = await session.run({ x });
    const want = [2 * 0.1 + 0.5, 2 * 0.2, 2 * 0.3 - 1, 2 * -0.3 + 0.5, 2 * 0.4, 2 * 0.1 - 1];
    const got = Array.from(out.out!.data as Float32Array);
    got.forEach((v, i) => expect(v).toBeCloseTo(Math.tanh(want[i]!), 6));
    const firsts = Array.from(out.first!.data as Float32Array);
    expect(firsts[0]).toBeCloseTo(want[0]!, 6);
    expect(firsts[1]).toBeCloseTo(want[3]!, 6);
    await session.release();
  });
});
