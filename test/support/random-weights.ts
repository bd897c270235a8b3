/**
 * Test helper: seeded random weights for a checked model's parameter table, as safetensors
 * tensors under rnnc parameter names (what runReference reads). A small deterministic PRNG
 * (mulberry32), never Math.random, so every test run sees the same weights.
 */
import type { ParamEntry } from "../../compiler/check/params.ts";
import { tensor, type Tensor } from "../../runtime/weights/safetensors.ts";

/** mulberry32: a 32-bit seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every parameter uniform in [-scale, scale] (F64), from `seed`. */
export function randomWeights(
  params: readonly ParamEntry<number>[],
  seed: number,
  scale = 1.5,
): Map<string, Tensor> {
  const random = seededRandom(seed);
  const out = new Map<string, Tensor>();
  for (const p of params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: n }, () => (2 * random() - 1) * scale);
    out.set(p.name, tensor("F64", p.shape, values));
  }
  return out;
}
