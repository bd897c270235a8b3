/**
 * The counter-based random numbers of the `sample` op. A draw depends only on (seed, step,
 * row), never on how many draws came before, so every backend produces the same samples in
 * any order. All arithmetic is on unsigned 32-bit integers, wrapping mod 2^32; the WGSL that
 * reproduces this bit for bit is:
 *
 *   fn pcg(v: u32) -> u32 {
 *     let state = v * 747796405u + 2891336453u;
 *     let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
 *     return (word >> 22u) ^ word;
 *   }
 *   fn sample_hash(seed: u32, step: u32, row: u32) -> u32 {
 *     return pcg(seed ^ pcg(step ^ pcg(row)));
 *   }
 *   // uniform in [0, 1) with 24 random bits: exact in f32 as in f64
 *   fn sample_uniform(seed: u32, step: i32, row: u32) -> f32 {
 *     return f32(sample_hash(seed, bitcast<u32>(step), row) >> 8u) / 16777216.0;
 *   }
 *
 * (WGSL's `>>` on u32 is a logical shift, like `>>>` here; shift amounts are at most 19.)
 */

/** PCG's output permutation of one 32-bit state step (the "pcg_hash" of Jarzynski & Olano). */
export function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** hash(seed, step, row) = pcg(seed ^ pcg(step ^ pcg(row))), all as u32. */
export function sampleHash(seed: number, step: number, row: number): number {
  return pcg((seed ^ pcg((step ^ pcg(row)) >>> 0)) >>> 0);
}

/** A uniform number in [0, 1) with 24 random bits: (hash >>> 8) / 2^24. */
export function sampleUniform(seed: number, step: number, row: number): number {
  return (sampleHash(seed, step, row) >>> 8) / 16777216;
}
