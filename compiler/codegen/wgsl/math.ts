/**
 * WGSL helper functions for what WGSL lacks or leaves loose: NaN tests that survive
 * optimisers (a bit test, not x != x), PyTorch's min/max/argmax order where NaN is the
 * largest, and f32 functions accurate to a few ulp where the obvious formula cancels
 * (tanh and expm1 near 0, log1p of small values, erfc in the tail, which gelu needs). The
 * reference (runtime/reference/kernels.ts) computes these in float64 and rounds once, so
 * these must be accurate in relative terms, not just absolute.
 */
import type { WgslFn } from "./kernel.ts";

export const IS_NAN: WgslFn = {
  name: "rn_is_nan",
  code: `
fn rn_is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`,
};

/** a > b in PyTorch's order for max/argmax/topk: NaN is greater than any number. */
export const GREATER_NAN: WgslFn = {
  name: "rn_greater",
  uses: [IS_NAN],
  code: `
fn rn_greater(a: f32, b: f32) -> bool {
  if (rn_is_nan(a)) { return !rn_is_nan(b); }
  return a > b;
}`,
};

/**
 * e^x to a couple of ulp over the whole range. The builtin (on lavapipe exp2(x * log2 e))
 * loses |x| * 2^-24 to the rounding of its argument: 5e-6 relative at x = ±88. Here Cody and
 * Waite's reduction x = n ln 2 + r (ln 2 split so that n * hi is exact) leaves |r| <= 0.35
 * for the builtin, and ldexp puts n back. Beyond the f32 range: inf and 0.
 */
export const EXP: WgslFn = {
  name: "rn_exp",
  uses: [IS_NAN],
  code: `
fn rn_exp(x: f32) -> f32 {
  if (rn_is_nan(x)) { return x; }
  if (x > 88.72283) { return x * 1e38; } // +inf (a const-expression inf would not compile)
  if (x < -104.0) { return 0.0; }
  let n = round(x * 1.44269504088896341);
  let r = (x - n * 0.693359375) - n * -2.12194440e-4;
  return ldexp(exp(r), i32(n));
}`,
};

/** tanh as Cephes' tanhf: a polynomial below 0.625 (no cancellation), 1 - 2/(e^2x + 1) above. */
export const TANH: WgslFn = {
  name: "rn_tanh",
  uses: [IS_NAN],
  code: `
fn rn_tanh(x: f32) -> f32 {
  let z = abs(x);
  if (rn_is_nan(x) || x == 0.0) { return x; }
  if (z > 0.625) {
    var r = 1.0;
    if (z < 44.0) { r = 1.0 - 2.0 / (exp(2.0 * z) + 1.0); }
    return select(r, -r, x < 0.0);
  }
  let s = x * x;
  return ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s
    + 1.33314422036e-1) * s - 3.33332819422e-1) * s * x + x;
}`,
};

/** e^x - 1: Taylor to x^8 where |x| < 0.5 (relative error < 2e-8), else exp(x) - 1. */
export const EXPM1: WgslFn = {
  name: "rn_expm1",
  uses: [EXP],
  code: `
fn rn_expm1(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
      + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0))))))));
  }
  return rn_exp(x) - 1.0;
}`,
};

/**
 * log(x) with a relative error of a few ulp also near 1, where the builtin is only specified
 * (and on lavapipe only accurate) to an absolute 2^-21: 2 atanh((x - 1) / (x + 1)) as a series
 * on (0.5, 2) (x - 1 is exact there), the builtin elsewhere (|log x| > 0.69).
 */
export const LOG: WgslFn = {
  name: "rn_log",
  code: `
fn rn_log(x: f32) -> f32 {
  if (x > 0.5 && x < 2.0) {
    let s = (x - 1.0) / (x + 1.0);
    let q = s * s;
    return 2.0 * s * (1.0 + q * (1.0 / 3.0 + q * (1.0 / 5.0 + q * (1.0 / 7.0 + q * (1.0 / 9.0
      + q * (1.0 / 11.0 + q * (1.0 / 13.0 + q * (1.0 / 15.0 + q * (1.0 / 17.0)))))))));
  }
  return log(x);
}`,
};

/** log(1 + y) for y >= 0: 2 atanh(y / (2 + y)) as a series below 0.5, else log(1 + y). */
export const LOG1P: WgslFn = {
  name: "rn_log1p",
  code: `
fn rn_log1p(y: f32) -> f32 {
  if (y < 0.5) {
    let s = y / (2.0 + y);
    let q = s * s;
    return 2.0 * s * (1.0 + q * (1.0 / 3.0 + q * (1.0 / 5.0 + q * (1.0 / 7.0 + q * (1.0 / 9.0
      + q * (1.0 / 11.0))))));
  }
  return log(1.0 + y);
}`,
};

/**
 * erfc(z) for z >= 0 with relative error < 1.2e-7 everywhere (Numerical Recipes' erfcc, a
 * Chebyshev fit): relative, so the tail that gelu(x < 0) reads keeps its digits. As in
 * fdlibm, e^(-z²) is taken as e^(-h²) e^((h - z)(h + z)) with h = z cut to 12 bits, so h² is
 * exact and the rounding of z² (|z|² * 2^-24, 5e-6 relative at z = 9) never enters.
 */
export const ERFC: WgslFn = {
  name: "rn_erfc",
  uses: [EXP],
  code: `
fn rn_erfc(z: f32) -> f32 {
  if (z > 10.0) { return 0.0; } // below f32's smallest subnormal (and no inf - inf below)
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
    + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
    + t * (-0.82215223 + t * 0.17087277))))))));
  let h = bitcast<f32>(bitcast<u32>(z) & 0xfffff000u);
  return t * rn_exp(-h * h) * rn_exp((h - z) * (h + z) + p);
}`,
};

/** x * Φ(x), Φ the standard normal CDF = erfc(-x / √2) / 2, from whichever side keeps digits. */
export const GELU: WgslFn = {
  name: "rn_gelu",
  uses: [ERFC],
  code: `
fn rn_gelu(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let tail = 0.5 * rn_erfc(z);
  return x * select(1.0 - tail, tail, x < 0.0);
}`,
};

/** The PCG hash of runtime/reference/rng.ts, bit for bit (u32 arithmetic wraps mod 2^32). */
export const PCG: WgslFn = {
  name: "rn_pcg",
  code: `
fn rn_pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}`,
};

/** sampleUniform(seed, step, index): 24 random bits as a float in [0, 1), exact in f32. */
export const SAMPLE_UNIFORM: WgslFn = {
  name: "rn_sample_uniform",
  uses: [PCG],
  code: `
fn rn_sample_uniform(seed: u32, step: i32, index: u32) -> f32 {
  let h = rn_pcg(seed ^ rn_pcg(bitcast<u32>(step) ^ rn_pcg(index)));
  return f32(h >> 8u) / 16777216.0;
}`,
};
