/**
 * The suite's driver: parses the command line, prepares each (workload, system) cell, checks
 * its output against rnnc's, times it, and writes the report (bench/report.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { difference, type Difference } from "./compare.ts";
import { sharedGpu } from "./gpu.ts";
import { machineInfo } from "./machine.ts";
import { measure, stats, type MeasureOptions, type Stats } from "./measure.ts";
import { writeReport } from "./report.ts";
import { ORT_SYSTEMS } from "./systems/ort.ts";
import { RNNC_SYSTEMS } from "./systems/rnnc.ts";
import { TFJS_SYSTEMS } from "./systems/tfjs.ts";
import { TORCH_SYSTEM } from "./systems/torch.ts";
import type { BenchContext, Prepared, System, Values } from "./systems/types.ts";
import { inputsOf, rnncWeights, torchWeights, WORKLOADS, type Workload } from "./workloads.ts";

export const SYSTEMS: readonly System[] = [
  ...RNNC_SYSTEMS,
  ...ORT_SYSTEMS,
  ...TFJS_SYSTEMS,
  TORCH_SYSTEM,
];

/** A streaming step takes microseconds: ten times the runs (and warm-up) of the others. */
export function protocolOf(w: Workload, args: MeasureOptions): MeasureOptions {
  if (w.mode !== "stream") return args;
  return { ...args, runs: args.runs * 10, warmup: args.warmup * 10, minRuns: args.minRuns * 10 };
}

export interface BenchArgs extends MeasureOptions {
  /**
   * A peer whose throughput on the earlier workloads predicts more than this many seconds
   * per run of a workload is skipped there (rnnc systems never are).
   */
  readonly maxRunSeconds: number;
  readonly workloads: readonly Workload[];
  readonly systems: readonly System[];
  readonly out: string;
  /** Rewrite the report from this RESULTS.json instead of running anything. */
  readonly fromJson?: string;
}

function list<T extends { id: string }>(
  all: readonly T[],
  text: string | undefined,
  what: string,
): T[] {
  if (!text) return [...all];
  return text.split(",").map((id) => {
    const found = all.find((x) => x.id.toLowerCase() === id.trim().toLowerCase());
    if (!found)
      throw new Error(`unknown ${what} '${id}' (known: ${all.map((x) => x.id).join(", ")})`);
    return found;
  });
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const named = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument '${arg}'`);
    const [key, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    named.set(key, inline ?? argv[++i] ?? "");
  }
  const known = [
    "workloads",
    "systems",
    "runs",
    "warmup",
    "cap",
    "min-runs",
    "max-run",
    "out",
    "from-json",
  ];
  for (const key of named.keys())
    if (!known.includes(key))
      throw new Error(`unknown option --${key} (known: --${known.join(", --")})`);
  const num = (key: string, fallback: number) => {
    const v = named.get(key);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} must be a number, got '${v}'`);
    return n;
  };
  const runs = num("runs", 10);
  return {
    workloads: list(WORKLOADS, named.get("workloads"), "workload"),
    systems: list(SYSTEMS, named.get("systems"), "system"),
    runs,
    warmup: num("warmup", 2),
    capSeconds: num("cap", 60),
    minRuns: Math.min(runs, num("min-runs", 3)),
    maxRunSeconds: num("max-run", 180),
    out: named.get("out") ?? "bench/RESULTS.md",
    fromJson: named.get("from-json"),
  };
}

export interface CellResult {
  readonly workload: string;
  readonly system: string;
  readonly stats?: Stats;
  readonly warmup?: number;
  readonly capped?: boolean;
  readonly difference?: Difference;
  /** Set when the system's output is not equal to rnnc's within tolerance. */
  readonly mismatch?: boolean;
  readonly skipped?: string;
  readonly note?: string;
  readonly setupMs?: number;
}

/** Equal within float32 rounding of differently ordered sums; tokens must match exactly. */
function mismatch(reference: Values, d: Difference): boolean {
  if (d.problem || Number.isNaN(d.value)) return true;
  if (d.kind === "tokens") return d.value > 0;
  let scale = 1;
  for (let i = 0; i < reference.length; i++)
    scale = Math.max(scale, Math.abs(Number(reference[i])));
  return d.value > 2e-3 * scale;
}

function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function runCell(
  system: System,
  ctx: BenchContext,
  args: BenchArgs,
  reference: { values?: Values; system?: string },
): Promise<CellResult> {
  const base = { workload: ctx.workload.id, system: system.id };
  const t0 = performance.now();
  let prepared: Prepared | string;
  try {
    prepared = await system.prepare(ctx);
  } catch (e) {
    prepared = `failed to set up: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
  }
  if (typeof prepared === "string") return { ...base, skipped: prepared };
  try {
    const c0 = performance.now();
    const got = await prepared.check();
    const checkMs = performance.now() - c0;
    const setupMs = performance.now() - t0;
    let diff: Difference | undefined;
    let bad = false;
    if (reference.values === undefined) {
      reference.values = got;
      reference.system = system.id;
    } else {
      diff = difference(reference.values, got);
      bad = mismatch(reference.values, diff);
    }
    const timing = prepared.timing ?? (await measure(() => prepared.run(), ctx.protocol, checkMs));
    return {
      ...base,
      stats: stats(timing.times),
      warmup: timing.warmup,
      capped: timing.capped,
      difference: diff,
      mismatch: bad,
      note: prepared.note,
      setupMs,
    };
  } catch (e) {
    return {
      ...base,
      skipped: `failed: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
    };
  } finally {
    try {
      await prepared.dispose?.();
    } catch {
      // a failed release must not hide the result
    }
  }
}

/**
 * Seconds per run of `w` that a peer's best GFLOP/s on the recurrent workloads measured so far
 * predicts (optimistic: its best), or undefined for rnnc and for the first workloads.
 */
function estimatedSeconds(
  system: System,
  w: Workload,
  results: readonly CellResult[],
): number | undefined {
  if (system.id.startsWith("rnnc")) return undefined;
  let best = 0;
  for (const r of results) {
    const done = WORKLOADS.find((x) => x.id === r.workload)!;
    if (r.system !== system.id || !r.stats || done.arch.kind === "gemm" || done.mode === "stream")
      continue;
    best = Math.max(best, done.flops / r.stats.median / 1e6);
  }
  return best > 0 ? w.flops / best / 1e9 : undefined;
}

function describe(r: CellResult, w: Workload): string {
  if (r.skipped) return `skipped: ${r.skipped}`;
  const scale = w.unit === "µs" ? 1000 : 1;
  const s = r.stats!;
  const fmt = (ms: number) => (ms * scale).toFixed(ms * scale < 10 ? 2 : 1);
  const diff = r.difference
    ? `  diff ${r.difference.kind === "tokens" ? `${r.difference.value} tokens` : r.difference.value.toExponential(1)}${r.mismatch ? " MISMATCH" : ""}`
    : "  (reference)";
  return `${fmt(s.median)} ${w.unit} [${fmt(s.min)}–${fmt(s.max)}] x${s.runs}${r.capped ? " (capped)" : ""}${diff}`;
}

/** The report of an earlier run, written again (after a change to the report's format). */
function rewrite(args: BenchArgs, path: string): number {
  const saved = JSON.parse(readFileSync(path, "utf8"));
  const ids = new Set<string>(saved.workloads.map((w: { id: string }) => w.id));
  const systemIds: string[] = saved.systems ?? [
    ...new Set(saved.results.map((r: CellResult) => r.system)),
  ];
  const p = saved.protocol;
  const again: BenchArgs = {
    ...args,
    workloads: WORKLOADS.filter((w) => ids.has(w.id)),
    systems: systemIds.map((id) => SYSTEMS.find((s) => s.id === id)!),
    runs: p.runs,
    warmup: p.warmup,
    capSeconds: p.capSeconds,
    minRuns: p.minRuns,
    maxRunSeconds: p.maxRunSeconds ?? 180,
  };
  const report = writeReport({
    args: again,
    results: saved.results,
    machine: saved.machine,
    started: new Date(saved.started),
    finished: new Date(saved.finished),
  });
  writeFileSync(args.out, report.markdown);
  log(`wrote ${args.out} from ${path}`);
  return 0;
}

export async function runBench(args: BenchArgs): Promise<number> {
  if (args.fromJson) return rewrite(args, args.fromJson);
  const gpu = await sharedGpu();
  const device = typeof gpu === "string" ? undefined : gpu.device;
  if (typeof gpu === "string") log(`note: no WebGPU: ${gpu}`);
  const results: CellResult[] = [];
  const started = new Date();
  for (const w of args.workloads) {
    log(`${w.id} ${w.title}: ${(w.flops / 1e9).toPrecision(3)} GFLOP per run`);
    const weights = rnncWeights(w);
    const ctx: BenchContext = {
      workload: w,
      inputs: inputsOf(w),
      weights,
      torch: torchWeights(w, weights),
      device,
      protocol: protocolOf(w, args),
    };
    const reference: { values?: Values; system?: string } = {};
    for (const system of args.systems) {
      const estimate = estimatedSeconds(system, w, results);
      const r =
        estimate !== undefined && estimate > args.maxRunSeconds
          ? {
              workload: w.id,
              system: system.id,
              skipped: `its throughput on the workloads before predicts ~${Math.round(estimate)} s per run (over --max-run ${args.maxRunSeconds})`,
            }
          : await runCell(system, ctx, args, reference);
      results.push(r);
      log(`  ${system.label.padEnd(26)} ${describe(r, w)}`);
    }
  }
  const machine = await machineInfo(typeof gpu === "string" ? undefined : gpu.info);
  const report = writeReport({ args, results, machine, started, finished: new Date() });
  writeFileSync(args.out, report.markdown);
  writeFileSync(args.out.replace(/\.md$/, ".json"), `${JSON.stringify(report.json, null, 2)}\n`);
  log(`wrote ${args.out}`);
  device?.destroy();
  const bad = results.filter((r) => r.mismatch).map((r) => `${r.workload}/${r.system}`);
  if (bad.length > 0) log(`outputs differ from rnnc's: ${bad.join(", ")}`);
  return 0;
}
