/**
 * One fuzzing worker of `npm run test:reliability`: runs inputs `start, start + stride, ...`
 * below `end` of one fuzzer, publishing the input it is on in a shared slot (the main
 * thread's watchdog ends a worker stuck on one input and names the input), and posting
 * counts, crashes and a sample of the WGSL it produced every `REPORT_EVERY` inputs.
 */
import { parentPort, workerData } from "node:worker_threads";
import { LoaderFuzzer, type FuzzResult } from "./loaders.ts";
import { compileProgram, fuzzProgram, programCorpus, type Shader } from "./programs.ts";
import { Rng } from "./rng.ts";

export interface WorkerTask {
  readonly task: "programs" | "loaders";
  readonly seed: number;
  readonly start: number;
  readonly end: number;
  readonly stride: number;
  /** Int32Array over it: [slot] = the input being run (-1 when done). */
  readonly progress: SharedArrayBuffer;
  readonly slot: number;
  /** Programs: every `wgslEvery`-th accepted program sends its WGSL back. */
  readonly wgslEvery: number;
}

export interface Crash {
  readonly index: number;
  readonly kind: string;
  readonly what: string;
  readonly error: string;
  readonly input: string;
}

export interface WorkerReport {
  readonly type: "report" | "done";
  /** `kind` → outcome → count. */
  readonly counts: Record<string, Record<string, number>>;
  readonly crashes: readonly Crash[];
  readonly wgsl: readonly Shader[];
  /** The longest time one input took, in milliseconds, and which input, by kind. */
  readonly slowest: Readonly<Record<string, { readonly ms: number; readonly index: number }>>;
  /** done: whether the worker's state was intact at the end (see `intact`). */
  readonly intact?: boolean;
}

// Results since the last report are lost when the watchdog ends the thread: report often.
const REPORT_EVERY = 20;
const task = workerData as WorkerTask;
const progress = new Int32Array(task.progress);

let counts: Record<string, Record<string, number>> = {};
let crashes: Crash[] = [];
let wgsl: Shader[] = [];
let slowest: Record<string, { ms: number; index: number }> = {};

function count(kind: string, outcome: string, ms: number, index: number): void {
  if (ms > (slowest[kind]?.ms ?? -1)) slowest[kind] = { ms, index };
  const byOutcome = (counts[kind] ??= {});
  byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
}

function flush(type: "report" | "done", intact?: boolean): void {
  parentPort!.postMessage({ type, counts, crashes, wgsl, slowest, intact } satisfies WorkerReport);
  counts = {};
  crashes = [];
  wgsl = [];
  slowest = {};
}

/** The plans of a fixed program, to compare before and after: no state may leak between inputs. */
function fingerprint(): string {
  const text =
    "model m {\n  input x: float[T, 3]\n  e = encode(x, cell: lstm(hidden: 4))\n  output y = e.final\n}\n";
  const outcome = compileProgram(text, 1);
  return JSON.stringify(outcome);
}

async function programs(): Promise<boolean> {
  const corpus = programCorpus();
  const before = fingerprint();
  const lowered = new Set<string>();
  let accepted = 0;
  for (let i = task.start; i < task.end; i += task.stride) {
    Atomics.store(progress, task.slot, i);
    const program = fuzzProgram(corpus, task.seed, i);
    const t0 = performance.now();
    const outcome = compileProgram(program.text, i, lowered);
    count(`programs (${program.kind})`, outcome.status, performance.now() - t0, i);
    if (outcome.status === "crash")
      crashes.push({
        index: i,
        kind: program.kind,
        what: program.edits.join(", "),
        error: `${outcome.stage}: ${outcome.error}`,
        input: program.text.slice(0, 3000),
      });
    if (outcome.status === "accepted" && !outcome.skipped && accepted++ % task.wgslEvery === 0)
      wgsl.push(...outcome.wgsl);
    if (((i - task.start) / task.stride) % REPORT_EVERY === REPORT_EVERY - 1) flush("report");
  }
  return fingerprint() === before;
}

async function loaders(): Promise<boolean> {
  const fuzzer = await LoaderFuzzer.create();
  const kinds = ["safetensors", "bundle", "data", "input"] as const;
  let intact = true;
  try {
    for (let i = task.start; i < task.end; i += task.stride) {
      Atomics.store(progress, task.slot, i);
      const rng = Rng.of(task.seed, i);
      const t0 = performance.now();
      const kind = kinds[i % kinds.length]!;
      const r: FuzzResult = await (kind === "safetensors"
        ? fuzzer.safetensors(rng)
        : kind === "bundle"
          ? fuzzer.bundle(rng)
          : kind === "data"
            ? fuzzer.data(rng)
            : fuzzer.input(rng));
      count(r.kind, r.outcome.status, performance.now() - t0, i);
      if (r.outcome.status === "crash")
        crashes.push({ index: i, kind: r.kind, what: r.how, error: r.outcome.error, input: "" });
      if (((i - task.start) / task.stride) % REPORT_EVERY === REPORT_EVERY - 1) {
        await fuzzer.assertIntact().catch(() => (intact = false));
        flush("report");
      }
    }
    await fuzzer.assertIntact().catch(() => (intact = false));
  } finally {
    fuzzer.dispose();
  }
  return intact;
}

const intact = task.task === "programs" ? await programs() : await loaders();
Atomics.store(progress, task.slot, -1);
flush("done", intact);
