/**
 * Timing: warm-up runs, then timed runs until `runs` are done or the cell's time cap is spent
 * (at least `minRuns`, however long they take); median, min and max of the timed runs.
 * bench/torch_bench.py follows the same protocol.
 */

export interface Timing {
  /** Per-run wall times in ms (each run includes reading its outputs back to the host). */
  readonly times: readonly number[];
  readonly warmup: number;
  /** Whether the cap cut the runs short of the number asked for. */
  readonly capped: boolean;
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export interface MeasureOptions {
  readonly runs: number;
  readonly warmup: number;
  /** Stop timing after this many seconds of timed runs (the runs done so far count). */
  readonly capSeconds: number;
  readonly minRuns: number;
}

export function stats(times: readonly number[]): Stats {
  const s = [...times].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { median, min: s[0]!, max: s[n - 1]!, runs: n };
}

/**
 * `checkMs`: how long the correctness check's run took. It already warmed the cell up (compiled
 * kernels, created pipelines); a cell whose check took over a tenth of the cap gets no further
 * warm-up, and warm-up stops once it has taken a quarter of the cap. A cell whose check took
 * longer than the whole cap is timed once.
 */
export async function measure(
  run: () => unknown,
  options: MeasureOptions,
  checkMs = 0,
): Promise<Timing> {
  let warmup = 0;
  const start = performance.now();
  const warmups = checkMs > (options.capSeconds * 1000) / 10 ? 0 : options.warmup;
  // A cell whose one run outlasts the cap is timed once (the report says so).
  const minRuns = checkMs > options.capSeconds * 1000 ? 1 : options.minRuns;
  for (let i = 0; i < warmups; i++) {
    await run();
    warmup++;
    if ((performance.now() - start) / 1000 > options.capSeconds / 4) break;
  }
  const times: number[] = [];
  const timed = performance.now();
  while (times.length < options.runs) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    const spent = (performance.now() - timed) / 1000;
    if (spent > options.capSeconds && times.length >= minRuns) break;
  }
  return { times, warmup, capped: times.length < options.runs };
}
