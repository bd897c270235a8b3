/**
 * Spam or ham: a bidirectional LSTM (examples/spam.rnn, model `spam`, many-to-one) reads the
 * first words of each e-mail of the SpamAssassin corpus and gives p(spam); scored on a
 * seeded, stratified held-out fifth of all 6,046 e-mails beside a bag-of-words logistic
 * regression trained on the same training split, tokens and vocabulary (baseline.ts).
 *
 *   npx tsx examples/spam/train.ts [--epochs 4] [--batch 32] [--lr 0.01] [--max-tokens 64]
 *                                  [--seed 1] [--backend cpu|webgpu|reference]
 *                                  [--bundle examples/spam/bundle] [--per-class 0]
 *                                  [--baseline-epochs 20] [--development]
 *
 * `--seed` fixes the split, the initial weights, dropout and the batch order. `--per-class N`
 * keeps only N e-mails of each class before splitting (0: all), for short runs;
 * `--development` scores a fifth of the training split instead of the held-out e-mails (how
 * the sizes and rates were chosen). The vocabulary size is the spec's `vocab:`. Adam, the
 * learning rate on a cosine from --lr to 0, gradients clipped at norm 1.
 *
 * After training the bundle is written (what `rnnc compile` emits, with the trained weights),
 * loaded back with only runtime/, checked against the in-process model on a few held-out
 * e-mails, and the whole held-out set is scored through it.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  loadModel,
  makeTrainer,
  parameterCount,
  trainBackend,
  uniformStream,
  writeAndCheckBundle,
  type TrainBackend,
} from "../shared/harness.ts";
import { learningRate } from "../../runtime/train/schedules.ts";
import { binaryScores, markdownTable, type BinaryScores } from "../shared/metrics.ts";
import { fitLogistic } from "./baseline.ts";
import { batchOf, epochBatches, loadSplit, type Email } from "./data.ts";

export const SPEC = "examples/spam.rnn";
/** Padded lengths are multiples of this, so a few graph shapes serve every batch. */
const BUCKET = 16;
/** E-mails per bundle call when scoring the held-out set (the bundle's batch limit). */
const EVAL_BATCH = 64;

export interface SpamOptions {
  epochs: number;
  batch: number;
  lr: number;
  maxTokens: number;
  seed: number;
  backend: TrainBackend;
  /** Where the trained bundle goes. */
  bundle: string;
  /** E-mails of each class kept before splitting (0: all). */
  perClass: number;
  /** Share of each class held out. */
  heldOut: number;
  /** Score a held-out share of the training split instead of the test set (data.ts). */
  development?: boolean;
  /** Epochs of the baseline's training. */
  baselineEpochs: number;
  log?: (line: string) => void;
}

export interface SpamResult {
  readonly train: { spam: number; ham: number };
  readonly test: { spam: number; ham: number };
  readonly vocab: number;
  readonly parameters: number;
  readonly model: BinaryScores;
  readonly baseline: BinaryScores & { l2: number };
  /** Everything judged ham: the majority class. */
  readonly majority: BinaryScores;
  /** Mean training loss of each epoch. */
  readonly losses: number[];
  readonly trainSeconds: number;
  readonly baselineSeconds: number;
  /** |bundle − in-process| over the sample e-mails' p(spam). */
  readonly bundleDifference: number;
  /** The sample's p(spam): bundle and in-process, side by side. */
  readonly sample: { bundle: number; label: number }[];
}

const count = (list: readonly Email[]) => ({
  spam: list.filter((e) => e.label === 1).length,
  ham: list.filter((e) => e.label === 0).length,
});

export async function runSpam(options: SpamOptions): Promise<SpamResult> {
  const log = options.log ?? console.log;
  const model = loadModel(SPEC, "spam");
  const table = model.params.find((p) => p.name.endsWith(".embedding.weight"));
  if (!table) throw new Error(`${SPEC}: model 'spam' has no embedding`);
  const vocab = table.shape[0]!;
  const split = loadSplit({
    heldOut: options.heldOut,
    maxTokens: options.maxTokens,
    vocab,
    minCount: 2,
    seed: options.seed,
    perClass: options.perClass,
    development: options.development,
  });
  const truth = split.test.map((e) => e.label);
  log(
    `${split.train.length} training and ${split.test.length} held-out e-mails, first ${options.maxTokens} words, ${split.words.length} of ${vocab} vocabulary ids used`,
  );

  // The baseline: bag-of-words logistic regression on the same tokens and vocabulary.
  let started = performance.now();
  const choice = fitLogistic(
    split.train.map((e) => ({ ids: e.tokens, label: e.label })),
    [0, 1e-7, 1e-6, 1e-5, 1e-4],
    {
      vocab,
      epochs: options.baselineEpochs,
      lr: 0.01,
      batch: 32,
      seed: options.seed,
      validShare: 0.2,
    },
  );
  const baselineProbs = choice.model.predict(split.test.map((e) => ({ ids: e.tokens })));
  const baseline = {
    ...binaryScores(
      baselineProbs.map((p) => (p > 0.5 ? 1 : 0)),
      truth,
    ),
    l2: choice.l2,
  };
  const baselineSeconds = (performance.now() - started) / 1000;
  log(
    `baseline: L2 ${choice.l2} (validation losses ${choice.tried.map((t) => t.loss.toFixed(3)).join(", ")}), accuracy ${baseline.accuracy.toFixed(4)}, F1 ${baseline.f1.toFixed(4)} (${baselineSeconds.toFixed(0)} s)`,
  );

  // The learning rate follows a cosine from --lr down to 0 over the run: the trainer reads
  // the optimiser options it was given at each step, so they are set before each one.
  const optimizer = { kind: "adam" as const, lr: options.lr };
  const { trainer, release } = await makeTrainer(model, {
    backend: options.backend,
    seed: options.seed,
    optimizer,
    clipNorm: 1,
  });
  const random = uniformStream(options.seed + 100);
  const perEpoch = Math.floor(split.train.length / options.batch);
  const schedule = { schedule: { kind: "cosine" as const, total: options.epochs * perEpoch } };
  const losses: number[] = [];
  started = performance.now();
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const batches = epochBatches(split.train, options.batch, random);
      let sum = 0;
      for (const [k, emails] of batches.entries()) {
        optimizer.lr = learningRate(options.lr, trainer.stepCount, schedule);
        sum += (await trainer.stepAsync(batchOf(emails, BUCKET, options.maxTokens))).loss;
        if ((k + 1) % 50 === 0)
          log(
            `epoch ${epoch}, batch ${k + 1}/${batches.length}: mean loss ${(sum / (k + 1)).toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
          );
      }
      losses.push(sum / Math.max(1, batches.length));
      log(
        `epoch ${epoch}: mean training loss ${losses.at(-1)!.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }
  } finally {
    release();
  }
  const trainSeconds = (performance.now() - started) / 1000;

  // The trained bundle, loaded with only runtime/, against the in-process model on a few
  // held-out e-mails; then the whole held-out set through the bundle.
  const sampleEmails = split.test.slice(0, 4);
  const check = await writeAndCheckBundle(model, {
    dir: options.bundle,
    source: SPEC,
    weights: trainer.weights(),
    limits: { batch: EVAL_BATCH, steps: { T: options.maxTokens } },
    sample: { tokens: sampleEmails.map((e) => [...e.tokens]) },
  });
  const probs: number[] = [];
  try {
    for (let from = 0; from < split.test.length; from += EVAL_BATCH) {
      const part = split.test.slice(from, from + EVAL_BATCH);
      const out = await check.model.run({ tokens: part.map((e) => [...e.tokens]) });
      probs.push(...Array.from(out.prob!.data).slice(0, part.length));
    }
  } finally {
    check.model.destroy();
  }
  const scores = binaryScores(
    probs.map((p) => (p > 0.5 ? 1 : 0)),
    truth,
  );
  return {
    train: count(split.train),
    test: count(split.test),
    vocab,
    parameters: parameterCount(model),
    model: scores,
    baseline,
    majority: binaryScores(
      truth.map(() => 0),
      truth,
    ),
    losses,
    trainSeconds,
    baselineSeconds,
    bundleDifference: check.difference,
    sample: sampleEmails.map((e, i) => ({ bundle: probs[i]!, label: e.label })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      epochs: { type: "string", default: "4" },
      batch: { type: "string", default: "32" },
      lr: { type: "string", default: "0.01" },
      "max-tokens": { type: "string", default: "64" },
      seed: { type: "string", default: "1" },
      backend: { type: "string", default: "cpu" },
      bundle: { type: "string", default: "examples/spam/bundle" },
      "per-class": { type: "string", default: "0" },
      "baseline-epochs": { type: "string", default: "20" },
      development: { type: "boolean", default: false },
    },
  });
  const started = performance.now();
  const r = await runSpam({
    epochs: Number(args.epochs),
    batch: Number(args.batch),
    lr: Number(args.lr),
    maxTokens: Number(args["max-tokens"]),
    seed: Number(args.seed),
    backend: trainBackend(args.backend),
    bundle: args.bundle,
    perClass: Number(args["per-class"]),
    heldOut: 0.2,
    baselineEpochs: Number(args["baseline-epochs"]),
    development: args.development,
  });
  const row = (name: string, s: BinaryScores) => [
    name,
    s.accuracy.toFixed(4),
    s.precision.toFixed(4),
    s.recall.toFixed(4),
    s.f1.toFixed(4),
  ];
  console.log(
    `\n${args.development ? "DEVELOPMENT: scored on a share of the training split; " : ""}held out: ${r.test.spam} spam + ${r.test.ham} ham; trained on ${r.train.spam} spam + ${r.train.ham} ham (seed ${args.seed}, first ${args["max-tokens"]} words, vocabulary ${r.vocab})`,
  );
  console.log(
    markdownTable(
      ["held-out e-mails", "accuracy", "precision", "recall", "F1"],
      [
        row(`BiLSTM (${r.parameters.toLocaleString("en")} parameters)`, r.model),
        row(`bag-of-words logistic regression (L2 ${r.baseline.l2})`, r.baseline),
        row("always ham", r.majority),
      ],
    ),
  );
  console.log(
    `\ntraining: ${r.trainSeconds.toFixed(0)} s (${args.epochs} epochs, ${args.backend}); baseline ${r.baselineSeconds.toFixed(0)} s; whole run ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  console.log(
    `trained bundle: ${args.bundle}; p(spam) of ${r.sample.length} held-out e-mails differs from the in-process model by ${r.bundleDifference.toExponential(1)}`,
  );
}
