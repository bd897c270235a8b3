/**
 * The row-wise and lane-wise computations of the CPU backend, on typed arrays with offsets:
 * reductions, argmax, topk, softmax, layernorm, uniform draws and sampling. One definition
 * serves both the naive kernels (kernels.ts, one per dispatch) and the generated JavaScript
 * kernels of fused recurrences (js-kernel.ts hands these to them), so both have the
 * reference interpreter's numbers in float32 bit for bit (see kernels.ts on rounding).
 *
 * Lanes: `x` is an outer × n × inner block at `xo`; lane (o, l) walks j = 0 .. n-1 at
 * xo + (o * n + j) * inner + l, and its result goes to yo + o * inner + l.
 */
import { sampleUniform } from "../reference/rng.ts";
import { REDUCE_OPS } from "./layouts.ts";

export type FloatOrInt = Float32Array | Int32Array;

/** a > b in PyTorch's max/argmax/topk order: NaN is greater than any number. */
export function greaterNaN(a: number, b: number): boolean {
  if (a !== a) return b === b;
  return a > b;
}

function greaterInt(a: number, b: number): boolean {
  return a > b;
}

/** sum (f32 accumulator, or int wrapping), mean (sum / n, floats) or max of each lane; `op` is a REDUCE_OPS code. */
export function reduceLanes(
  xs: FloatOrInt,
  xo: number,
  ys: FloatOrInt,
  yo: number,
  outer: number,
  n: number,
  inner: number,
  op: number,
): void {
  const greater = xs instanceof Float32Array ? greaterNaN : greaterInt;
  for (let o = 0; o < outer; o++) {
    const yb = yo + o * inner;
    const xb = xo + o * n * inner;
    if (op === REDUCE_OPS.max) {
      for (let l = 0; l < inner; l++) ys[yb + l] = xs[xb + l]!;
      for (let j = 1; j < n; j++) {
        const row = xb + j * inner;
        for (let l = 0; l < inner; l++) {
          const v = xs[row + l]!;
          if (greater(v, ys[yb + l]!)) ys[yb + l] = v;
        }
      }
      continue;
    }
    // The typed array's store rounds (f32) or wraps (i32) each partial sum.
    ys.fill(0, yb, yb + inner);
    for (let j = 0; j < n; j++) {
      const row = xb + j * inner;
      for (let l = 0; l < inner; l++) ys[yb + l] = ys[yb + l]! + xs[row + l]!;
    }
    if (op === REDUCE_OPS.mean && ys instanceof Float32Array)
      for (let l = 0; l < inner; l++) ys[yb + l] = ys[yb + l]! / n;
  }
}

/** The index of each lane's maximum (the first on ties; NaN is the largest). */
export function argmaxLanes(
  xs: FloatOrInt,
  xo: number,
  ys: Int32Array,
  yo: number,
  outer: number,
  n: number,
  inner: number,
): void {
  const greater = xs instanceof Float32Array ? greaterNaN : greaterInt;
  for (let o = 0; o < outer; o++) {
    const yb = yo + o * inner;
    const xb = xo + o * n * inner;
    ys.fill(0, yb, yb + inner);
    for (let j = 1; j < n; j++) {
      const row = xb + j * inner;
      for (let l = 0; l < inner; l++)
        if (greater(xs[row + l]!, xs[xb + ys[yb + l]! * inner + l]!)) ys[yb + l] = j;
    }
  }
}

/** The k largest of each row of n, largest first, ties in index order (k selections). */
export function topkRows(
  xs: FloatOrInt,
  xo: number,
  ys: Int32Array,
  yo: number,
  rows: number,
  n: number,
  k: number,
): void {
  const greater = xs instanceof Float32Array ? greaterNaN : greaterInt;
  const before = (va: number, ia: number, vb: number, ib: number) =>
    greater(va, vb) || (!greater(vb, va) && ia < ib);
  for (let r = 0; r < rows; r++) {
    const base = xo + r * n;
    let prev = 0;
    for (let t = 0; t < k; t++) {
      let best = n;
      for (let j = 0; j < n; j++) {
        const v = xs[base + j]!;
        if (t > 0 && !before(xs[base + prev]!, prev, v, j)) continue;
        if (best === n || before(v, j, xs[base + best]!, best)) best = j;
      }
      ys[yo + r * k + t] = best;
      prev = best;
    }
  }
}

let scratch = new Float64Array(64);

function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(n);
  return scratch;
}

/** softmax (or log_softmax) of each lane, the maximum subtracted first, in float64. */
export function softmaxLanes(
  xs: Float32Array,
  xo: number,
  ys: Float32Array,
  yo: number,
  outer: number,
  n: number,
  inner: number,
  log: boolean,
): void {
  const e = scratchOf(n);
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < inner; l++) {
      const xb = xo + o * n * inner + l;
      const yb = yo + o * n * inner + l;
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = xs[xb + j * inner]!;
        if (v > max || v !== v) max = v;
        if (max !== max) break;
      }
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const v = Math.exp(xs[xb + j * inner]! - max);
        e[j] = v;
        sum += v;
      }
      if (log) {
        const logSum = Math.log(sum);
        for (let j = 0; j < n; j++) ys[yb + j * inner] = xs[xb + j * inner]! - max - logSum;
      } else {
        const inv = 1 / sum;
        for (let j = 0; j < n; j++) ys[yb + j * inner] = e[j]! * inv;
      }
    }
  }
}

/** (x - mean) / sqrt(biased variance + eps) over each row of n, in float64. */
export function layernormRows(
  xs: Float32Array,
  xo: number,
  ys: Float32Array,
  yo: number,
  rows: number,
  n: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const xb = xo + r * n;
    const yb = yo + r * n;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += xs[xb + j]!;
    const mean = sum / n;
    let sq = 0;
    for (let j = 0; j < n; j++) {
      const d = xs[xb + j]! - mean;
      sq += d * d;
    }
    const denom = Math.sqrt(sq / n + eps);
    for (let j = 0; j < n; j++) ys[yb + j] = (xs[xb + j]! - mean) / denom;
  }
}

/** y[i] = sampleUniform(seed, step, i) for i < count. */
export function uniformFill(
  ys: Float32Array,
  yo: number,
  count: number,
  seed: number,
  step: number,
): void {
  for (let i = 0; i < count; i++) ys[yo + i] = sampleUniform(seed, step, i);
}

/**
 * One draw per row of v logits from softmax(logits / temperature): the first index whose
 * running f32 sum of f32 probabilities exceeds sampleUniform(seed, step, row); when rounding
 * leaves the total at or below it, the last index with a nonzero probability (0 if none).
 */
export function sampleRows(
  xs: Float32Array,
  xo: number,
  ys: Int32Array,
  yo: number,
  rows: number,
  v: number,
  seed: number,
  temperature: number,
  step: number,
): void {
  const fround = Math.fround;
  const e = scratchOf(2 * v);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < v; j++) {
      const sj = fround(xs[xo + r * v + j]! / temperature);
      e[v + j] = sj;
      if (sj > max || sj !== sj) max = sj;
    }
    let sum = 0;
    for (let j = 0; j < v; j++) {
      const ej = Math.exp(e[v + j]! - max);
      e[j] = ej;
      sum += ej;
    }
    const inv = 1 / sum;
    const u = sampleUniform(seed, step, r);
    let choice = -1;
    let lastNonzero = -1;
    let cumulative = 0;
    for (let j = 0; j < v; j++) {
      const p = fround(e[j]! * inv);
      if (p > 0) lastNonzero = j;
      cumulative = fround(cumulative + p);
      if (cumulative > u) {
        choice = j;
        break;
      }
    }
    ys[yo + r] = choice >= 0 ? choice : Math.max(lastNonzero, 0);
  }
}
