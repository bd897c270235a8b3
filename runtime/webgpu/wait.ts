/**
 * Waiting on the GPU without taking a CPU core from it. In Node, Dawn polls for completion
 * on every event-loop turn while any of its promises (mapAsync, onSubmittedWorkDone) is
 * pending, which keeps the main thread at 100% (a core that a software adapter like lavapipe
 * would otherwise compute with). So a run sleeps on a plain timer for most of the time recent
 * runs took before it asks Dawn for the results; only the remainder is polled.
 */

/** Below this, a timer's own granularity costs more than polling. */
const MIN_SLEEP_MS = 2;
/** The share of the expected duration slept before polling. */
const SLEEP_SHARE = 0.8;
/** Durations remembered (the first run's, which includes compiling, is never used). */
const RECENT = 4;

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

export class RunTimer {
  /** Recent durations from submit to mapped results (ms), newest last. */
  private readonly recent: number[] = [];

  start(): number {
    return now();
  }

  /**
   * Sleeps most of the shortest recent duration. Nothing before two runs were timed: the
   * first run of a plan also compiles its pipelines and would make every later run wait.
   */
  async sleepMostOfLastRun(): Promise<void> {
    if (this.recent.length < 2) return;
    const ms = Math.min(...this.recent.slice(1)) * SLEEP_SHARE;
    if (ms < MIN_SLEEP_MS) return;
    await new Promise<void>((resolve) => setTimeout(resolve, ms));
  }

  finish(started: number): void {
    this.recent.push(now() - started);
    if (this.recent.length > RECENT) this.recent.splice(1, 1);
  }
}
