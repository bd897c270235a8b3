/**
 * Waiting on the GPU without taking a CPU core from it. In Node, Dawn polls for completion
 * on every event-loop turn while any of its promises (mapAsync, onSubmittedWorkDone) is
 * pending, which keeps the main thread at 100% (a core that a software adapter like lavapipe
 * would otherwise compute with). So a run sleeps on a plain timer for most of the time the
 * previous run took before it asks Dawn for the results; only the remainder is polled.
 */

/** Below this, a timer's own granularity costs more than polling. */
const MIN_SLEEP_MS = 2;
/** The share of the last run's duration slept before polling. */
const SLEEP_SHARE = 0.8;

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

export class RunTimer {
  /** Milliseconds from submit to mapped results, smoothed over recent runs. */
  private estimate = 0;

  start(): number {
    return now();
  }

  /** Sleeps most of the expected duration (nothing before the first run was timed). */
  async sleepMostOfLastRun(): Promise<void> {
    const ms = this.estimate * SLEEP_SHARE;
    if (ms < MIN_SLEEP_MS) return;
    await new Promise<void>((resolve) => setTimeout(resolve, ms));
  }

  finish(started: number): void {
    const took = now() - started;
    this.estimate = this.estimate === 0 ? took : 0.5 * this.estimate + 0.5 * took;
  }
}
