/**
 * Determinism and concurrency checks shared by the CI tests and `npm run test:reliability`:
 * - `trainTwice`: `rnnc train` twice with one seed (dropout on, so the seeded masks matter):
 *   the per-epoch losses, the trained weights, the checkpoint and the trained bundle must be
 *   bit-identical; a run with another seed must differ (the seed is really used);
 * - `compileTwice`: bundleFiles of each model twice, other models compiled in between (no
 *   state may leak from one compilation into the next): byte-identical files;
 * - `concurrentRuns`: many `run` calls in flight on one model, and on two models of one
 *   bundle, and interleaved streams, equal to the same calls made one by one.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { main } from "../../../cli/main.ts";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { bundleFiles } from "../../../compiler/bundle/write.ts";
import { BundleModel, type Outputs } from "../../../runtime/bundle/index.ts";
import { sameOutputs as same } from "./loaders.ts";
import type { BackendName } from "../../../runtime/bundle/engines.ts";

export const TRAIN_SPEC = `model tagger {
  input tokens: int[T]
  input label: float[1] for training

  enc = encode(embedding(tokens, vocab: 12, dim: 4), cell: lstm(hidden: 6), layers: 2, dropout: 0.25)
  logit = linear(dropout(enc.final, 0.3), 1)
  output prob = sigmoid(logit)
  loss bce_with_logits(logit, label)
}
`;

/** 32 examples of a parity-like task, the same every time. */
function trainData(): string {
  const lines: string[] = [];
  for (let i = 0; i < 32; i++) {
    const tokens = Array.from({ length: 1 + ((i * 5) % 7) }, (_, t) => (i * 7 + t * 3) % 12);
    lines.push(JSON.stringify({ tokens, label: [tokens.reduce((a, b) => a + b, 0) % 2] }));
  }
  return `${lines.join("\n")}\n`;
}

/** Every file below `dir`, by relative path. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out.set(relative(dir, path), readFileSync(path));
  }
  return out;
}

/** Paths whose bytes differ (or exist on one side only); log.jsonl compared without timings. */
function differences(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const out: string[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const [x, y] = [a.get(path), b.get(path)];
    if (!x || !y) out.push(`${path} (only in one run)`);
    else if (path === "log.jsonl") {
      const losses = (t: Buffer) =>
        t
          .toString()
          .trim()
          .split("\n")
          .map((l) => JSON.stringify({ ...JSON.parse(l), seconds: undefined }));
      if (JSON.stringify(losses(x)) !== JSON.stringify(losses(y))) out.push("log.jsonl (losses)");
    } else if (!x.equals(y)) out.push(path);
  }
  return out;
}

export interface TrainComparison {
  /** Files that differ between two runs of one seed (empty: bit-identical). */
  readonly same: string[];
  /** Files that differ from a run of another seed (must not be empty). */
  readonly otherSeed: string[];
  /** The per-epoch training losses of the first run. */
  readonly losses: number[];
}

/** `rnnc train` in this process, or in a new one (`child`: bin/rnnc.js). */
async function train(dir: string, seed: number, out: string, child = false): Promise<void> {
  const args = ["train", join(dir, "m.rnn"), "--data", join(dir, "d.jsonl"), "--out", out];
  const options = ["--epochs", "3", "--batch", "8", "--seed", String(seed), "--backend", "cpu"];
  if (child) {
    const r = spawnSync(process.execPath, ["bin/rnnc.js", ...args, ...options], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`rnnc train exited ${r.status}:\n${r.stderr}`);
    return;
  }
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  const code = await main([...args, ...options], io);
  if (code !== 0) throw new Error(`rnnc train exited ${code}:\n${lines.join("\n")}`);
}

/** Two runs of `seed` (the second in another process when `child`) and one of `seed + 1`. */
export async function trainTwice(seed = 7, child = false): Promise<TrainComparison> {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-determinism-"));
  try {
    writeFileSync(join(dir, "m.rnn"), TRAIN_SPEC);
    writeFileSync(join(dir, "d.jsonl"), trainData());
    await train(dir, seed, join(dir, "a"));
    await train(dir, seed + 1, join(dir, "c"));
    await train(dir, seed, join(dir, "b"), child);
    const [a, b, c] = ["a", "b", "c"].map((r) => filesOf(join(dir, r))) as [
      Map<string, Buffer>,
      Map<string, Buffer>,
      Map<string, Buffer>,
    ];
    const losses = a
      .get("log.jsonl")!
      .toString()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).train as number);
    return { same: differences(a, b), otherSeed: differences(a, c), losses };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Paths of each model's bundle that differ between two compilations, by model name. */
export async function compileTwice(
  models: readonly CheckedModel[],
  limits = { batch: 3, steps: 5 },
  onTime: (ms: number) => void = () => {},
): Promise<Map<string, string[]>> {
  const compile = (m: CheckedModel) => {
    const axes = [
      ...new Set(m.inputs.filter((i) => !i.training && i.type.time).map((i) => i.type.time!)),
    ];
    return bundleFiles(m, {
      limits: {
        batch: limits.batch,
        steps: Object.fromEntries(axes.map((a) => [a, limits.steps])),
      },
      seed: 11,
    });
  };
  const first = [];
  for (const m of models) first.push(await compile(m));
  const out = new Map<string, string[]>();
  // The second time in the opposite order, so each is compiled after different others.
  for (let i = models.length - 1; i >= 0; i--) {
    const t0 = performance.now();
    const again = await compile(models[i]!);
    onTime(performance.now() - t0);
    const before = first[i]!;
    const paths = [...new Set([...before.keys(), ...again.keys()])];
    const differ = paths.filter(
      (p) => !before.get(p) || !again.get(p) || !Buffer.from(before.get(p)!).equals(again.get(p)!),
    );
    if (differ.length > 0) out.set(models[i]!.name, differ);
  }
  return out;
}

/** Inputs of `x: float[T, 3]` that depend on `k`, so every call's differ. */
export function sequenceInput(k: number, n = 6): number[][][] {
  return [0, 1].map((b) =>
    Array.from({ length: n - b }, (_, t) => [Math.sin(k + t), Math.cos(k * 0.3 - t), 0.1 * b]),
  );
}

export const CONCURRENT_SPEC = `
model tagger {
  input x: float[T, 3]
  enc = encode(x, cell: lstm(hidden: 16), layers: 2)
  output y = linear(enc.outputs, 2)
  output last = linear(enc.final, 1)
}`;

export interface ConcurrencyResult {
  readonly runs: number;
  /** Concurrent calls whose outputs differ from the sequential call's (must be 0). */
  readonly mismatches: number;
  /** Stream steps, interleaved across streams, that differ from a stream run alone. */
  readonly streamMismatches: number;
  readonly streamSteps: number;
}

/**
 * `calls` runs in flight at once, alternating between two models of the bundle at `dir`,
 * against the same calls one by one; then `streams` interleaved streams of `steps` steps.
 */
export async function concurrentRuns(
  dir: string,
  backend: BackendName,
  calls: number,
  options: { device?: GPUDevice; streams?: number; steps?: number } = {},
): Promise<ConcurrencyResult> {
  const load = () =>
    BundleModel.load(dir, options.device ? { device: options.device } : { backend });
  const [a, b] = await Promise.all([load(), load()]);
  try {
    const sequential: Outputs[] = [];
    for (let k = 0; k < calls; k++) sequential.push(await a.run({ x: sequenceInput(k) }));
    const concurrent = await Promise.all(
      Array.from({ length: calls }, (_, k) => (k % 2 ? a : b).run({ x: sequenceInput(k) })),
    );
    const mismatches = concurrent.filter((out, k) => !same(sequential[k]!, out)).length;
    const n = options.streams ?? 4;
    const steps = options.steps ?? 4;
    const xs = Array.from({ length: n }, (_, s) =>
      sequenceInput(100 + s, steps + 1).map((q) => q.slice(0, steps)),
    );
    const streams = xs.map(() => a.stream());
    const mixed: Outputs[][] = xs.map(() => []);
    // Every stream's step t in flight together, then t + 1.
    for (let t = 0; t < steps; t++) {
      const outs = await Promise.all(
        streams.map((s, i) => s.step({ x: xs[i]!.map((q) => q[t]!) })),
      );
      outs.forEach((o, i) => mixed[i]!.push(o));
    }
    let streamMismatches = 0;
    for (const [i, x] of xs.entries()) {
      const alone = b.stream();
      for (let t = 0; t < steps; t++)
        if (!same(mixed[i]![t]!, await alone.step({ x: x.map((q) => q[t]!) }))) streamMismatches++;
      alone.destroy();
    }
    for (const s of streams) s.destroy();
    return { runs: calls, mismatches, streamMismatches, streamSteps: n * steps };
  } finally {
    a.destroy();
    b.destroy();
  }
}

/**
 * `rnnc compile` of model `name` in `spec` by two processes: the paths whose bytes differ
 * (empty: byte-identical).
 */
export function compileInTwoProcesses(spec: string, name: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-compile-twice-"));
  try {
    for (const out of ["a", "b"]) {
      const args = ["bin/rnnc.js", "compile", spec, "--model", name, "-o", join(dir, out)];
      const r = spawnSync(process.execPath, args, { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`rnnc compile exited ${r.status}:\n${r.stderr}`);
    }
    return differences(filesOf(join(dir, "a")), filesOf(join(dir, "b")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
