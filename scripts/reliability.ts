/**
 * `npm run test:reliability`: the long form of test/reliability/. Fuzzes the compiler with
 * 100,000 programs and the loaders with 40,000 damaged files and inputs (10,000 safetensors
 * files, 10,000 bundles, 10,000 training-data files, 10,000 run inputs) in worker threads,
 * each input under a time limit (a watchdog ends a worker stuck on one input and reports
 * it as hung), compiles the WGSL of accepted programs on the WebGPU device when there is an
 * adapter, runs `rnnc check` and `rnnc compile` on fuzzed programs (exit 3, an internal
 * error, is a crash), checks every limit, trains twice per seed and compiles every corpus model twice
 * (bit-identical), and makes 1,000 concurrent runs per backend; then prints how many inputs
 * of each kind were tried and how many crashed, hung or corrupted state. Exit 1 if any did.
 *
 *   npm run test:reliability -- [--programs N] [--files N] [--runs N] [--seed S]
 *                               [--workers W] [--time-limit SECONDS] [--wgsl N] [--cli N]
 *                               [--gpu-bundles N]
 *   npm run test:reliability -- --show N [--seed S]    (fuzzed program N, and its outcome)
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { checkParsed, prelude } from "../compiler/check/index.ts";
import { parse } from "../dsl/parse.ts";
import { acquireDevice, NoWebGpuAdapterError } from "../runtime/webgpu/device.ts";
import { compileBundle } from "../test/runtime/bundle/support.ts";
import {
  compileInTwoProcesses,
  compileTwice,
  concurrentRuns,
  CONCURRENT_SPEC,
  trainTwice,
} from "../test/reliability/support/determinism.ts";
import { limitCases } from "../test/reliability/support/limit-cases.ts";
import { LoaderFuzzer } from "../test/reliability/support/loaders.ts";
import { Rng } from "../test/reliability/support/rng.ts";
import {
  cliCrashed,
  cliProgram,
  compileProgram,
  fuzzProgram,
  programCorpus,
  type Shader,
} from "../test/reliability/support/programs.ts";
import type { Crash, WorkerReport, WorkerTask } from "../test/reliability/support/worker.ts";
import { wgslErrors } from "../test/reliability/support/wgsl.ts";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} takes a number`);
  return n;
}

const PROGRAMS = option("programs", 100_000);
const FILES = option("files", 40_000);
const RUNS = option("runs", 1000);
const SEED = option("seed", 20_240_601);
const WORKERS = option("workers", Math.max(1, Math.min(2, availableParallelism())));
const TIME_LIMIT = option("time-limit", 60);
const WGSL = option("wgsl", 3000);
const CLI = option("cli", 2000);
const BUNDLES_ON_GPU = option("gpu-bundles", 1000);

interface Row {
  kind: string;
  tried: number;
  passed: number;
  refused: number;
  crashed: number;
  hung: number;
  corrupted: number;
  slowestMs: number;
  /** Which input was the slowest, when the row is fuzzed inputs. */
  slowestInput?: string;
}

const rows = new Map<string, Row>();
const failures: string[] = [];

function row(kind: string): Row {
  let r = rows.get(kind);
  if (!r) {
    r = { kind, tried: 0, passed: 0, refused: 0, crashed: 0, hung: 0, corrupted: 0, slowestMs: 0 };
    rows.set(kind, r);
  }
  return r;
}

const PASSED = new Set(["accepted", "loaded"]);
const REFUSED = new Set(["rejected", "refused"]);

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ── Worker pool with a watchdog ──────────────────────────────────────────────────────────────

const SHIM = new URL("../test/reliability/support/ts-worker.mjs", import.meta.url);
const ENTRY = new URL("../test/reliability/support/worker.ts", import.meta.url).href;

/**
 * Runs `task` over [0, total) split across WORKERS threads. A thread that stays on one input
 * longer than the limit is ended and the input counted as hung; one that dies (out of memory,
 * an uncaught error) has its input counted as crashed; either way a new thread goes on from
 * the next input.
 */
async function pool(
  task: "programs" | "loaders",
  total: number,
  limitSeconds: number,
  describeInput: (index: number) => { kind: string; text: string },
  onWgsl: (shaders: readonly Shader[]) => void,
): Promise<boolean> {
  const progress = new SharedArrayBuffer(4 * WORKERS);
  const at = new Int32Array(progress);
  let intact = true;
  const started = Date.now();
  let done = 0;

  const record = (report: WorkerReport) => {
    for (const [kind, outcomes] of Object.entries(report.counts))
      for (const [outcome, n] of Object.entries(outcomes)) {
        const r = row(kind);
        r.tried += n;
        done += n;
        if (PASSED.has(outcome)) r.passed += n;
        else if (REFUSED.has(outcome)) r.refused += n;
        else r.crashed += n;
      }
    for (const [kind, { ms, index }] of Object.entries(report.slowest)) {
      const r = row(kind);
      if (ms > r.slowestMs) [r.slowestMs, r.slowestInput] = [ms, `${task} input ${index}`];
    }
    for (const c of report.crashes) reportCrash(task, c);
    onWgsl(report.wgsl);
  };

  const run = (slot: number, start: number): Promise<void> =>
    new Promise((resolve) => {
      if (start >= total) return resolve();
      // -2 while the thread starts (loading modules and the corpus takes seconds): the time
      // limit runs from the moment it publishes its first input.
      at[slot] = -2;
      const data: WorkerTask = {
        task,
        seed: SEED,
        start,
        end: total,
        stride: WORKERS,
        progress,
        slot,
        wgslEvery: 25,
      };
      const worker = new Worker(SHIM, {
        workerData: { ...data, entry: ENTRY },
        resourceLimits: { maxOldGenerationSizeMb: 3072 },
      });
      let current = -2;
      let since = Date.now();
      let finished = false;
      const restart = (why: "hung" | "crashed", error: string) => {
        if (finished) return;
        finished = true;
        clearInterval(watch);
        if (current < 0) {
          failures.push(`${task}: a worker failed to start: ${error}`);
          log(`  ${task}: a worker failed to start: ${error}`);
          return void worker.terminate().then(() => resolve());
        }
        const input = describeInput(current);
        const r = row(input.kind);
        r.tried++;
        done++;
        r[why]++;
        failures.push(
          `${task} input ${current} (seed ${SEED}) ${why}: ${error}\n${input.text.slice(0, 1500)}`,
        );
        log(`  ${task} input ${current} ${why}: ${error.split("\n")[0]}`);
        void worker.terminate().then(() => run(slot, current + WORKERS).then(resolve));
      };
      const watch = setInterval(() => {
        const now = at[slot]!;
        if (now !== current) {
          current = now;
          since = Date.now();
        } else if (now >= 0 && Date.now() - since > limitSeconds * 1000)
          restart("hung", `no result after ${limitSeconds} s`);
      }, 200);
      worker.on("message", (report: WorkerReport) => {
        record(report);
        if (report.type === "done") {
          finished = true;
          clearInterval(watch);
          if (report.intact === false) {
            intact = false;
            failures.push(`${task}: a worker's state changed across its inputs`);
          }
          void worker.terminate().then(() => resolve());
        }
      });
      worker.on("error", (e) => restart("crashed", `${e.name}: ${e.message}`));
      worker.on("exit", (code) => {
        if (!finished) restart("crashed", `the worker exited (${code})`);
      });
    });

  const ticker = setInterval(() => {
    const seconds = (Date.now() - started) / 1000;
    log(`  ${task}: ${done}/${total} (${seconds.toFixed(0)} s)`);
  }, 30_000);
  await Promise.all(Array.from({ length: WORKERS }, (_, slot) => run(slot, slot)));
  clearInterval(ticker);
  return intact;
}

function reportCrash(task: string, c: Crash): void {
  failures.push(
    `${task} input ${c.index} (seed ${SEED}, ${c.kind}: ${c.what}) crashed: ${c.error}\n${c.input}`,
  );
  log(`  ${task} input ${c.index} crashed: ${c.error.split("\n")[0]}`);
}

// ── The phases ───────────────────────────────────────────────────────────────────────────────

async function programsPhase(device: GPUDevice | undefined): Promise<void> {
  log(`programs: ${PROGRAMS} fuzzed programs on ${WORKERS} workers (seed ${SEED})`);
  const corpus = programCorpus();
  const shaders = new Map<string, Shader>();
  const intact = await pool(
    "programs",
    PROGRAMS,
    TIME_LIMIT,
    (i) => {
      const p = fuzzProgram(corpus, SEED, i);
      return { kind: `programs (${p.kind})`, text: p.text };
    },
    (list) => {
      for (const s of list) if (shaders.size < WGSL) shaders.set(s.code, s);
    },
  );
  if (!intact) row("programs (mutated)").corrupted++;

  log(`limits: ${limitCases().length} programs at and beyond each limit`);
  const limits = row("programs at and beyond each limit");
  for (const c of limitCases()) {
    const t0 = performance.now();
    const outcome = compileProgram(c.text, 0);
    limits.slowestMs = Math.max(limits.slowestMs, performance.now() - t0);
    limits.tried++;
    const got = outcome.status === "rejected" ? outcome.codes.join(",") : outcome.status;
    if (outcome.status === "crash") limits.crashed++;
    else if (got !== c.expect)
      failures.push(`limit case '${c.name}': expected ${c.expect}, got ${got}`);
    else if (outcome.status === "accepted") limits.passed++;
    else limits.refused++;
  }

  const wgsl = row("WGSL kernels of accepted programs (device compiler)");
  if (!device) {
    log("WGSL: no WebGPU adapter here; kernels not compiled");
    return;
  }
  log(`WGSL: ${shaders.size} distinct kernels on the device (pipelines for the first 300)`);
  let k = 0;
  for (const shader of shaders.values()) {
    const t0 = performance.now();
    const errors = await wgslErrors(device, shader, { pipeline: k++ < 300 });
    wgsl.slowestMs = Math.max(wgsl.slowestMs, performance.now() - t0);
    wgsl.tried++;
    if (errors.length === 0) wgsl.passed++;
    else {
      wgsl.refused++;
      failures.push(`WGSL refused by the device: ${errors.join("; ")}\n${shader.code}`);
    }
  }
}

/** `rnnc check` on fuzzed programs, `rnnc compile` on some that check: exit 3 is a crash. */
async function cliPhase(): Promise<void> {
  log(`command line: rnnc check on ${CLI} fuzzed programs, rnnc compile on ${CLI / 20} that check`);
  const corpus = programCorpus();
  const dir = mkdtempSync(join(tmpdir(), "rnnc-cli-fuzz-"));
  try {
    let compiled = 0;
    for (let i = 0; i < CLI; i++) {
      const program = fuzzProgram(corpus, SEED + 1, i);
      for (const compile of [false, true]) {
        if (compile && compiled >= CLI / 20) break;
        const r = row(compile ? "rnnc compile (fuzzed programs)" : "rnnc check (fuzzed programs)");
        const t0 = performance.now();
        const outcome = await cliProgram(program.text, dir, compile);
        r.slowestMs = Math.max(r.slowestMs, performance.now() - t0);
        r.tried++;
        if (cliCrashed(outcome)) {
          r.crashed++;
          failures.push(
            `rnnc ${compile ? "compile" : "check"} crashed on input ${i}:\n${outcome.output}\n${program.text}`,
          );
        } else if (outcome.code === 0) r.passed++;
        else r.refused++;
        if (outcome.code !== 0) break;
        if (compile) compiled++;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadersPhase(device: GPUDevice | undefined): Promise<void> {
  log(`loaders: ${FILES} damaged files and inputs on ${WORKERS} workers`);
  const intact = await pool(
    "loaders",
    FILES,
    Math.min(TIME_LIMIT, 30),
    (i) => ({
      kind: ["safetensors files", "bundles", "training data files", "run inputs"][i % 4]!,
      text: `input ${i} of the loader fuzzer`,
    }),
    () => {},
  );
  if (!intact) row("bundles").corrupted++;
  if (!device) return;
  // On the device, in this thread (one device for all): damaged bundles loaded, run, streamed.
  log(`loaders: ${BUNDLES_ON_GPU} damaged bundles on WebGPU`);
  const fuzzer = await LoaderFuzzer.create();
  try {
    for (let i = 0; i < BUNDLES_ON_GPU; i++) {
      const t0 = performance.now();
      const r = await fuzzer.bundle(Rng.of(SEED + 2, i), device);
      const ms = performance.now() - t0;
      const kind = row(r.kind);
      kind.tried++;
      if (ms > kind.slowestMs) [kind.slowestMs, kind.slowestInput] = [ms, `WebGPU bundle ${i}`];
      if (r.outcome.status === "loaded") kind.passed++;
      else if (r.outcome.status === "refused") kind.refused++;
      else {
        kind.crashed++;
        failures.push(`WebGPU bundle ${i} (${r.how}) crashed: ${r.outcome.error}`);
      }
    }
    await fuzzer.assertIntact().catch((e: Error) => {
      row("bundles on WebGPU").corrupted++;
      failures.push(`after the WebGPU bundles: ${e.message}`);
    });
  } finally {
    fuzzer.dispose();
  }
}

async function determinismPhase(): Promise<void> {
  log("determinism: training twice per seed, compiling every corpus model twice");
  const training = row("training runs, same seed twice (CPU): bit-identical");
  for (const seed of [1, 2, 3]) {
    const t0 = performance.now();
    // The last pair's second run is another process: no state of this one can make them agree.
    const { same, otherSeed } = await trainTwice(seed, seed === 3);
    training.slowestMs = Math.max(training.slowestMs, performance.now() - t0);
    training.tried++;
    if (same.length === 0 && otherSeed.length > 0) training.passed++;
    else {
      training.corrupted++;
      failures.push(
        `seed ${seed}: runs differ in ${same.join(", ")}; other seed differs in ${otherSeed.length} files`,
      );
    }
  }
  const stdlib = prelude();
  const models = programCorpus().models.flatMap((t) => checkParsed(parse(t), stdlib).models);
  const compiled = row("bundles, each model compiled twice: byte-identical");
  const differ = await compileTwice(models, undefined, (ms) => {
    compiled.slowestMs = Math.max(compiled.slowestMs, ms);
  });
  compiled.tried = models.length;
  compiled.passed = models.length - differ.size;
  compiled.corrupted = differ.size;
  for (const [name, paths] of differ)
    failures.push(`model ${name}: bundles differ in ${paths.join(", ")}`);
  const processes = row("bundles compiled by two processes: byte-identical");
  for (const [spec, name] of [
    ["examples/g2p.rnn", "g2p"],
    ["examples/names.rnn", "name_generator"],
    ["examples/textbook/lstm_model.rnn", "lstm_model"],
  ] as const) {
    if (!existsSync(spec)) continue;
    const t0 = performance.now();
    const paths = compileInTwoProcesses(spec, name);
    processes.slowestMs = Math.max(processes.slowestMs, performance.now() - t0);
    processes.tried++;
    if (paths.length === 0) processes.passed++;
    else {
      processes.corrupted++;
      failures.push(`${spec}: two processes wrote different ${paths.join(", ")}`);
    }
  }
}

async function concurrencyPhase(device: GPUDevice | undefined): Promise<void> {
  const dir = await compileBundle(CONCURRENT_SPEC, { batch: 4, steps: { T: 8 } });
  const backends: [string, Parameters<typeof concurrentRuns>[3]][] = [["cpu", {}]];
  if (device) backends.push(["webgpu", { device }]);
  for (const [backend, options] of backends) {
    log(`concurrency: ${RUNS} runs in flight on ${backend}`);
    const r = row(`concurrent runs on two models (${backend}) = sequential`);
    const t0 = performance.now();
    const result = await concurrentRuns(dir, backend as "cpu", RUNS, {
      ...options,
      streams: 8,
      steps: 6,
    });
    r.slowestMs = performance.now() - t0;
    r.tried += result.runs;
    r.passed += result.runs - result.mismatches;
    r.corrupted += result.mismatches;
    const s = row(`interleaved stream steps (${backend}) = each stream alone`);
    s.tried += result.streamSteps;
    s.passed += result.streamSteps - result.streamMismatches;
    s.corrupted += result.streamMismatches;
    if (result.mismatches + result.streamMismatches > 0)
      failures.push(
        `${backend}: ${result.mismatches} runs and ${result.streamMismatches} stream steps differ`,
      );
  }
}

// ── Report ───────────────────────────────────────────────────────────────────────────────────

function table(seconds: number): string {
  const header = [
    "inputs",
    "tried",
    "passed",
    "refused (coded)",
    "crashed",
    "hung",
    "corrupted",
    "slowest",
  ];
  const lines = [...rows.values()].map((r) => [
    r.kind,
    r.tried.toLocaleString("en"),
    r.passed.toLocaleString("en"),
    r.refused.toLocaleString("en"),
    String(r.crashed),
    String(r.hung),
    String(r.corrupted),
    r.slowestMs > 0 ? `${(r.slowestMs / 1000).toFixed(2)} s` : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const total = (k: keyof Row) => [...rows.values()].reduce((s, r) => s + (r[k] as number), 0);
  return [
    fmt(header),
    `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...lines.map(fmt),
    "",
    `${total("tried").toLocaleString("en")} inputs in ${(seconds / 60).toFixed(1)} min (seed ${SEED}, ${WORKERS} workers, ${TIME_LIMIT} s per input): ` +
      `${total("crashed")} crashed, ${total("hung")} hung, ${total("corrupted")} corrupted state or differed.`,
  ].join("\n");
}

// --show N: print fuzzed program N of this seed and what compiling it gives, then stop.
if (process.argv.includes("--show")) {
  const index = option("show", 0);
  const program = fuzzProgram(programCorpus(), SEED, index);
  const t0 = performance.now();
  const outcome = compileProgram(program.text, index);
  process.stdout.write(`${program.text}\n`);
  log(
    `program ${index} (${program.kind}: ${program.edits.join(", ")}): ${outcome.status} in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
  );
  process.exit(0);
}

const start = performance.now();
let device: GPUDevice | undefined;
try {
  device = (await acquireDevice({ label: "rnnc reliability" })).device;
} catch (e) {
  if (!(e instanceof NoWebGpuAdapterError)) throw e;
}
await programsPhase(device);
await cliPhase();
await loadersPhase(device);
await determinismPhase();
await concurrencyPhase(device);
device?.destroy();

const seconds = (performance.now() - start) / 1000;
for (const r of rows.values())
  if (r.slowestInput) log(`slowest of ${r.kind}: ${r.slowestInput} (seed ${SEED})`);
if (failures.length > 0) {
  log(`\n${failures.length} failures:`);
  for (const f of failures.slice(0, 20)) log(`\n${f}`);
}
process.stdout.write(`\n${table(seconds)}\n`);
process.exit(failures.length > 0 ? 1 : 0);
