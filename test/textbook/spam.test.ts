// The chapter's training pipeline on real labelled text: SentimentLSTM (sentiment.rnn, dropout
// 0.5 as written) trained by rnnc (CPU backend, Adam lr 1e-3, clip 5) on 320 e-mails of the
// SpamAssassin corpus converges: the validation loss falls from ln 2 well below it, and the
// trained model classifies held-out e-mails. Small on purpose (about 10 s).
import { expect, it } from "vitest";
import { runPipeline } from "../../examples/textbook/pipeline.ts";
import { tensor } from "../../runtime/reference/tensor.ts";
import { compile, feedsOf, runner } from "./backends.ts";

it("trains SentimentLSTM on the spam corpus: the validation loss falls and it classifies", async () => {
  const result = runPipeline({
    epochs: 14,
    batchSize: 16,
    corpus: { train: 160, valid: 48, maxTokens: 24, vocab: 200 },
  });
  const { initialValidLoss, validLosses, trainLosses } = result;
  console.log(
    `spam corpus: validation loss ${initialValidLoss.toFixed(3)} -> ` +
      validLosses.map((l) => l.toFixed(3)).join(", ") +
      `; training loss ${trainLosses[0]!.toFixed(3)} -> ${trainLosses.at(-1)!.toFixed(3)}`,
  );
  expect(initialValidLoss).toBeGreaterThan(0.68);
  expect(validLosses.at(-1)!).toBeLessThan(0.45);
  expect(trainLosses.at(-1)!).toBeLessThan(trainLosses[0]! - 0.2);

  let [right, total] = [0, 0];
  const weights = result.trainer.weights();
  for (const batch of result.valid) {
    const text = batch.inputs.get("text")!;
    const [size, steps] = text.shape as [number, number];
    const compiled = compile(result.model, weights, {
      batch: size,
      steps: { T: steps },
      mode: "infer",
    });
    const run = await runner("cpu", compiled);
    const feeds = feedsOf(
      compiled,
      new Map([["text", tensor("int", text.shape, Array.from(text.data))]]),
      batch.lengths,
    );
    const prob = (await run.run(feeds)).prob!.data;
    const labels = batch.inputs.get("label")!.data;
    for (let i = 0; i < size; i++) {
      total++;
      if (prob[i]! > 0.5 === (labels[i] === 1)) right++;
    }
  }
  console.log(`spam corpus: validation accuracy ${right} of ${total}`);
  expect(right / total).toBeGreaterThanOrEqual(0.8);
}, 120_000);
