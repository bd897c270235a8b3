/**
 * Initial weights, reproducible from a seed, distributed as PyTorch initialises the same
 * modules: `uniform` from U(-1/sqrt(fanIn), 1/sqrt(fanIn)) (nn.RNN/LSTM/GRU use the hidden
 * size, nn.Linear its input size), `normal` from N(0, 1) (nn.Embedding), `zeros`, `ones`
 * (layer-norm bias and gain).
 *
 * Each parameter draws from its own stream, keyed by its name, so adding a parameter to a
 * model does not change the values of the others. The generator is the counter-based PCG
 * hash the sampling kernels use: value i of parameter p is a function of (seed, p, i) only.
 */
import { pcg, sampleUniform } from "../reference/rng.ts";
import { tensor, type Tensor } from "./safetensors.ts";

export interface InitSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: "uniform" | "zeros" | "ones" | "normal";
  readonly fanIn?: number;
}

/** A 32-bit key of a name (FNV-1a, then mixed by PCG). */
function nameKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return pcg(h);
}

function values(spec: InitSpec, seed: number): Float64Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const key = nameKey(spec.name);
  // Uniform in (0, 1): a 24-bit draw nudged off 0 so log() below stays finite.
  const u = (i: number) => sampleUniform(seed >>> 0, key, i) + 2 ** -25;
  switch (spec.init) {
    case "zeros":
      break;
    case "ones":
      out.fill(1);
      break;
    case "uniform": {
      const fanIn = spec.fanIn ?? spec.shape[1] ?? spec.shape[0] ?? 1;
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < n; i++) out[i] = (2 * u(i) - 1) * bound;
      break;
    }
    case "normal":
      // Box-Muller on two independent draws per value.
      for (let i = 0; i < n; i++)
        out[i] = Math.sqrt(-2 * Math.log(u(2 * i))) * Math.cos(2 * Math.PI * u(2 * i + 1));
      break;
  }
  return out;
}

/** Initial values of every parameter, as float32 (default) or float64 tensors. */
export function initialWeights(
  params: readonly InitSpec[],
  seed: number,
  dtype: "F32" | "F64" = "F32",
): Map<string, Tensor> {
  return new Map(params.map((p) => [p.name, tensor(dtype, p.shape, values(p, seed))]));
}
