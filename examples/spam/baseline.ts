/**
 * The baseline: bag-of-words logistic regression in plain TypeScript, on the same tokens and
 * vocabulary as the network. Each e-mail is the set of its token ids (unknown words share id
 * 1), as a binary vector scaled to unit length; p(spam) = sigmoid(w·x + b). Training minimises
 * the mean binary cross-entropy plus an L2 penalty on w with Adam (runtime/train/optimizers.ts)
 * over seeded mini-batches. The penalty is chosen from a small grid on a seeded validation
 * share of the training split, then the model is retrained on the whole training split.
 */
import { Optimizer } from "../../runtime/train/optimizers.ts";
import { shuffleWith, uniformStream } from "../shared/harness.ts";

export interface Document {
  readonly ids: readonly number[];
  readonly label: 0 | 1;
}

export interface LogisticOptions {
  readonly vocab: number;
  readonly epochs: number;
  readonly lr: number;
  readonly batch: number;
  readonly seed: number;
}

export interface LogisticModel {
  readonly weights: Float64Array;
  readonly bias: number;
  /** p(spam) of each document. */
  predict(docs: readonly { ids: readonly number[] }[]): number[];
}

/** Distinct ids (pad excluded) and the value each feature takes: 1/sqrt(count). */
function features(ids: readonly number[]): { ids: number[]; value: number } {
  const set = [...new Set(ids.filter((id) => id > 0))];
  return { ids: set, value: 1 / Math.sqrt(Math.max(1, set.length)) };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Logistic regression with L2 penalty `l2` on the weights, trained on `docs`. */
export function trainLogistic(
  docs: readonly Document[],
  l2: number,
  options: LogisticOptions,
): LogisticModel {
  const rows = docs.map((d) => ({ ...features(d.ids), label: d.label }));
  const w = new Float64Array(options.vocab);
  const b = new Float64Array(1);
  const params = new Map([
    ["w", w],
    ["b", b],
  ]);
  const gw = new Float64Array(options.vocab);
  const gb = new Float64Array(1);
  const grads = new Map([
    ["w", gw],
    ["b", gb],
  ]);
  const optimizer = new Optimizer({ kind: "adam", lr: options.lr });
  const random = uniformStream(options.seed);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = shuffleWith(rows, random);
    for (let from = 0; from < order.length; from += options.batch) {
      const part = order.slice(from, from + options.batch);
      for (let i = 0; i < w.length; i++) gw[i] = l2 * w[i]!;
      gb[0] = 0;
      for (const r of part) {
        let z = b[0]!;
        for (const id of r.ids) z += w[id]! * r.value;
        const d = (sigmoid(z) - r.label) / part.length;
        for (const id of r.ids) gw[id]! += d * r.value;
        gb[0]! += d;
      }
      optimizer.step(params, grads);
    }
  }
  return {
    weights: w,
    bias: b[0]!,
    predict: (list) =>
      list.map((d) => {
        const f = features(d.ids);
        return sigmoid(f.ids.reduce((z, id) => z + w[id]! * f.value, b[0]!));
      }),
  };
}

/** Mean binary cross-entropy of probabilities against labels. */
function crossEntropy(probs: readonly number[], labels: readonly number[]): number {
  const eps = 1e-7;
  return (
    probs.reduce((s, p, i) => s - (labels[i] ? Math.log(p + eps) : Math.log(1 - p + eps)), 0) /
    probs.length
  );
}

export interface BaselineChoice {
  readonly model: LogisticModel;
  readonly l2: number;
  /** Validation loss of each penalty tried. */
  readonly tried: { l2: number; loss: number }[];
}

/**
 * Picks the L2 penalty from `grid` by validation loss on a seeded `validShare` of `docs`
 * (stratified by label), then retrains on all of `docs` with it.
 */
export function fitLogistic(
  docs: readonly Document[],
  grid: readonly number[],
  options: LogisticOptions & { readonly validShare: number },
): BaselineChoice {
  const random = uniformStream(options.seed + 1);
  const fit: Document[] = [];
  const valid: Document[] = [];
  for (const label of [1, 0]) {
    const group = shuffleWith(
      docs.filter((d) => d.label === label),
      random,
    );
    const held = Math.round(group.length * options.validShare);
    valid.push(...group.slice(0, held));
    fit.push(...group.slice(held));
  }
  const tried = grid.map((l2) => {
    const model = trainLogistic(fit, l2, options);
    const loss = crossEntropy(
      model.predict(valid),
      valid.map((d) => d.label),
    );
    return { l2, loss };
  });
  const best = tried.reduce((a, c) => (c.loss < a.loss ? c : a));
  return { model: trainLogistic(docs, best.l2, options), l2: best.l2, tried };
}
