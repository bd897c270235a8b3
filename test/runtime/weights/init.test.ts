import { describe, expect, it } from "vitest";
import { initialWeights } from "../../../runtime/weights/init.ts";
import { checkOk } from "../../support/check.ts";

const SPEC = `model m {
  input t: int[T]
  enc = encode(embedding(t, vocab: 50, dim: 8), cell: layernorm_lstm(hidden: 16), layers: 2)
  output y = linear(enc.final, 400)
}`;

function stats(values: ArrayLike<number>) {
  const xs = Array.from(values);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, variance, min: Math.min(...xs), max: Math.max(...xs) };
}

describe("initial weights", () => {
  const model = checkOk(SPEC).models[0]!;

  it("are reproducible from the seed, differ between seeds, and cover every parameter", () => {
    const a = initialWeights(model.params, 7);
    const b = initialWeights(model.params, 7);
    const c = initialWeights(model.params, 8);
    expect([...a.keys()]).toEqual(model.params.map((p) => p.name));
    for (const [name, t] of a) {
      expect(Array.from(t.data as Float32Array)).toEqual(
        Array.from(b.get(name)!.data as Float32Array),
      );
      expect(t.shape).toEqual(model.params.find((p) => p.name === name)!.shape);
    }
    expect(Array.from(a.get("y.weight")!.data as Float32Array)).not.toEqual(
      Array.from(c.get("y.weight")!.data as Float32Array),
    );
  });

  it("do not change when another parameter is added", () => {
    const smaller = initialWeights(model.params.slice(1), 7);
    const full = initialWeights(model.params, 7);
    for (const [name, t] of smaller) expect(t.data).toEqual(full.get(name)!.data);
  });

  it("follow PyTorch's distributions", () => {
    const w = initialWeights(model.params, 1, "F64");
    // Recurrent cells: U(±1/sqrt(hidden)), variance bound^2 / 3.
    const cell = stats(w.get("enc.l1.gates.h.weight")!.data as Float64Array);
    expect(cell.max).toBeLessThanOrEqual(1 / 4);
    expect(cell.min).toBeGreaterThanOrEqual(-1 / 4);
    expect(cell.variance).toBeCloseTo(1 / 16 / 3, 2);
    // Linear: U(±1/sqrt(in)) with in = 16.
    const linear = stats(w.get("y.weight")!.data as Float64Array);
    expect(linear.max).toBeLessThanOrEqual(1 / 4);
    expect(linear.variance).toBeCloseTo(1 / 16 / 3, 2);
    // Embedding: N(0, 1).
    const embedding = stats(w.get("enc.embedding.weight")!.data as Float64Array);
    expect(Math.abs(embedding.mean)).toBeLessThan(0.15);
    expect(embedding.variance).toBeGreaterThan(0.8);
    expect(embedding.variance).toBeLessThan(1.2);
    // Layer norm: gain ones, bias zeros.
    expect(new Set(w.get("enc.l0.gates.ln_x.weight")!.data as Float64Array)).toEqual(new Set([1]));
    expect(new Set(w.get("enc.l0.gates.ln_x.bias")!.data as Float64Array)).toEqual(new Set([0]));
  });
});
