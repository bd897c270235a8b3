/**
 * The chapter's complete training pipeline with rnnc: SentimentLSTM (sentiment.rnn), Adam
 * (lr 1e-3), BCEWithLogitsLoss (the spec's loss), gradient clipping at 5, train mode with
 * dropout for each optimiser step and eval mode (no dropout) for the validation loss, on the
 * SpamAssassin corpus (spam-corpus.ts). `train` and `evaluate` are the chapter's functions;
 * run this file for the chapter's main():
 *
 *   npx tsx examples/textbook/pipeline.ts [epochs]
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkParsed, prelude } from "../../compiler/check/index.ts";
import type { CheckedModel } from "../../compiler/check/model.ts";
import { cpuRunner, TrainingEngine } from "../../compiler/driver/training-engine.ts";
import { parse } from "../../dsl/parse.ts";
import { SourceFile } from "../../dsl/source.ts";
import type { FloatArray } from "../../runtime/train/optimizers.ts";
import { Trainer, type Batch } from "../../runtime/train/trainer.ts";
import { initialWeights } from "../../runtime/weights/init.ts";
import { batchesOf, spamCorpus, type CorpusOptions } from "./spam-corpus.ts";

export const SPEC = fileURLToPath(new URL("./sentiment.rnn", import.meta.url));

export function sentimentModel(): CheckedModel {
  const result = checkParsed(parse(new SourceFile(SPEC, readFileSync(SPEC, "utf8"))), prelude());
  if (!result.ok) throw new Error(`${SPEC} does not check`);
  return result.models[0]!;
}

/** The chapter's train(): one optimiser step per batch; the mean loss. */
export function train(trainer: Trainer, batches: readonly Batch[]): number {
  let total = 0;
  for (const batch of batches) total += trainer.step(batch).loss;
  return total / batches.length;
}

/** The chapter's evaluate(): eval mode (no dropout), no updates; the mean loss. */
export function evaluate(trainer: Trainer, batches: readonly Batch[]): number {
  let total = 0;
  for (const batch of batches) total += trainer.evaluate(batch);
  return total / batches.length;
}

export interface PipelineOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly corpus: CorpusOptions;
  readonly seed?: number;
  readonly onEpoch?: (epoch: number, trainLoss: number, validLoss: number) => void;
}

export interface PipelineResult {
  readonly trainer: Trainer;
  readonly model: CheckedModel;
  readonly trainLosses: number[];
  readonly validLosses: number[];
  /** The validation loss of the initial weights. */
  readonly initialValidLoss: number;
  readonly valid: readonly Batch[];
}

/** The chapter's main(): train for `epochs`, the validation loss after each. */
export function runPipeline(options: PipelineOptions): PipelineResult {
  const model = sentimentModel();
  const corpus = spamCorpus(options.corpus);
  const [trainBatches, valid] = [
    batchesOf(corpus.train, options.batchSize),
    batchesOf(corpus.valid, options.batchSize),
  ];
  const seed = options.seed ?? 0;
  const init = initialWeights(model.params, seed);
  const params = new Map<string, FloatArray>(
    model.params.map((p) => [p.name, Float32Array.from(init.get(p.name)!.data as Float32Array)]),
  );
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  const trainer = new Trainer(new TrainingEngine(model, cpuRunner, { seed }), params, shapes, {
    optimizer: { kind: "adam", lr: 0.001 },
    clipNorm: 5,
  });
  const initialValidLoss = evaluate(trainer, valid);
  const [trainLosses, validLosses] = [[] as number[], [] as number[]];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    trainLosses.push(train(trainer, trainBatches));
    validLosses.push(evaluate(trainer, valid));
    options.onEpoch?.(epoch + 1, trainLosses.at(-1)!, validLosses.at(-1)!);
  }
  return { trainer, model, trainLosses, validLosses, initialValidLoss, valid };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const epochs = Number(process.argv[2] ?? 10);
  runPipeline({
    epochs,
    batchSize: 32,
    corpus: { train: 600, valid: 200, maxTokens: 48, vocab: 200 },
    onEpoch: (epoch, trainLoss, validLoss) =>
      console.log(
        `Epoch: ${String(epoch).padStart(2, "0")}\n\tTrain Loss: ${trainLoss.toFixed(3)}\n\tVal Loss: ${validLoss.toFixed(3)}`,
      ),
  });
}
