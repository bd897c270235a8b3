// Decoders proved by oracles, not snapshots: greedy, beam search, sampling and feature
// generation (compiler/passes/lower-decode.ts, decoder-step.ts, lower-beam.ts), lowered,
// unrolled (IR verified after each pass) and run on the reference interpreter, on small models
// with seeded random weights (test/support/random-weights.ts).
//
// - Greedy: teacher forcing on the greedy tokens reproduces the greedy logits bit for bit,
//   each token is the argmax of its step's logits, and after the first eos only eos follows.
// - Beam: width 1 is greedy; a beam wide enough to be exact returns the best of ALL
//   sequences, scored independently by teacher forcing; its logits are its path's logits.
// - Sampling: seeded and reproducible; first-step frequencies over thousands of identical rows
//   match softmax(logits / t) (chi-square), top_k restricts the support; every draw equals the
//   inverse CDF at the documented counter-based uniform (runtime/reference/rng.ts).
// - Feature generation: each output is fed back as the next input (teacher forcing on the
//   generated values reproduces them).
// - Variable source lengths: each example decodes as it would alone.
// - The scan form (until: "lower") gives the unrolled graph's results for every search.
// - teacher_forcing: r — 1 is the default; 0 never feeds the targets.
import { describe, expect, it } from "vitest";
import type { CheckedModel } from "../../../compiler/check/model.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { fromStored, runReference } from "../../../compiler/driver/run-model.ts";
import { sampleUniform } from "../../../runtime/reference/rng.ts";
import { tensor, type Precision, type Tensor } from "../../../runtime/reference/tensor.ts";
import type { Tensor as StoredTensor } from "../../../runtime/weights/safetensors.ts";
import { checkOk } from "../../support/check.ts";
import { randomWeights, seededRandom } from "../../support/random-weights.ts";

const VOCAB = 5;
const BOS = 1;
const EOS = 2;
const SRC_VOCAB = 7;

type Attention = "none" | "luong" | "bahdanau";
type Weights = Map<string, StoredTensor>;

function modelOf(source: string): CheckedModel {
  return checkOk(source).models[0]!;
}

/** An encoder-decoder: src (vocab 7) → encoder → decoder over vocab 5 (gru or lstm cells). */
function seq2seq(
  attention: Attention,
  search: string,
  maxSteps: number,
  { extra = "", cell = "gru" } = {},
): CheckedModel {
  return modelOf(`model m {
  input src: int[S]
  input tgt: int[T] for training
  enc = encode(embedding(src, vocab: ${SRC_VOCAB}, dim: 3), cell: ${cell}(hidden: 3))
  dec = decode(from: enc, cell: ${cell}(hidden: 3), attention: ${attention}, vocab: ${VOCAB}, embed: 2, bos: ${BOS}, eos: ${EOS}, max_steps: ${maxSteps}, teacher: tgt, search: ${search}${extra})
  output tokens = dec.tokens
  output logits = dec.logits
}`);
}

/** A one-to-many token generator, from `init: z` (a per-row vector) or from zeros. */
function generator(withInit: boolean, search: string, maxSteps: number): CheckedModel {
  return modelOf(`model g {
  ${withInit ? "input z: float[3]" : ""}
  input tgt: int[T] for training
  dec = generate(cell: gru(hidden: 3), ${withInit ? "init: z, " : ""}vocab: ${VOCAB}, embed: 2, bos: ${BOS}, eos: ${EOS}, max_steps: ${maxSteps}, teacher: tgt, search: ${search})
  output tokens = dec.tokens
  output logits = dec.logits
}`);
}

/** How a token decoder is fed, for a given batch: its conditioning inputs. */
interface Case {
  readonly name: string;
  readonly model: (search: string, maxSteps: number) => CheckedModel;
  /** The conditioning inputs (src + lengths, or z, or nothing) for `batch` rows. */
  readonly inputs: (batch: number, seed: number) => Conditioning;
  /**
   * Weight seeds (the conditioning uses seed + 1) under which greedy decoding is not
   * degenerate: small random GRUs often settle into repeating one token, so these were picked
   * so that some rows stop early, some run to max_steps, and several tokens occur.
   */
  readonly seeds: readonly number[];
}

interface Conditioning {
  readonly inputs: Record<string, Tensor>;
  readonly lengths?: Record<string, number[]>;
  /** The same conditioning, each row repeated `times` times in a row (row-major). */
  readonly repeat: (times: number) => Conditioning;
  readonly batch: number;
}

/** Sources of random ids, lengths in [1, S] (the first row full length). */
function sources(batch: number, seed: number, steps = 4): Conditioning {
  const random = seededRandom(seed);
  const ids = Array.from({ length: batch * steps }, () => Math.floor(random() * SRC_VOCAB));
  const lengths = Array.from({ length: batch }, (_, b) =>
    b === 0 ? steps : 1 + Math.floor(random() * steps),
  );
  return sourceRows(ids, lengths, steps);
}

function sourceRows(ids: number[], lengths: number[], steps: number): Conditioning {
  const batch = lengths.length;
  return {
    inputs: { src: tensor("int", [batch, steps], ids) },
    lengths: { S: lengths },
    batch,
    repeat: (times) =>
      sourceRows(
        lengths.flatMap((_, b) =>
          Array.from({ length: times }, () => ids.slice(b * steps, (b + 1) * steps)).flat(),
        ),
        lengths.flatMap((l) => Array.from({ length: times }, () => l)),
        steps,
      ),
  };
}

function initVectors(batch: number, seed: number): Conditioning {
  const random = seededRandom(seed);
  return vectorRows(Array.from({ length: batch * 3 }, () => 3 * random() - 1.5));
}

function vectorRows(values: number[]): Conditioning {
  const batch = values.length / 3;
  return {
    inputs: { z: tensor("float", [batch, 3], values) },
    batch,
    repeat: (times) =>
      vectorRows(
        Array.from({ length: batch }, (_, b) =>
          Array.from({ length: times }, () => values.slice(b * 3, b * 3 + 3)).flat(),
        ).flat(),
      ),
  };
}

/** generate without init: no conditioning input; every row starts from zeros. */
function nothing(batch = 1): Conditioning {
  return { inputs: {}, batch, repeat: (times) => nothing(batch * times) };
}

const DECODE_SEEDS = { none: [118, 124, 134], luong: [101, 108, 148], bahdanau: [111, 123, 132] };

const CASES: readonly Case[] = [
  ...(["none", "luong", "bahdanau"] as const).map((attention): Case => ({
    name: `decode, attention: ${attention}`,
    model: (search, maxSteps) => seq2seq(attention, search, maxSteps),
    inputs: (batch, seed) => sources(batch, seed),
    seeds: DECODE_SEEDS[attention],
  })),
  {
    // Two cell states (h, c), both started from the encoder and reordered by beam search.
    name: "decode, lstm cells, attention: bahdanau",
    model: (search, maxSteps) => seq2seq("bahdanau", search, maxSteps, { cell: "lstm" }),
    inputs: (batch, seed) => sources(batch, seed),
    seeds: [102, 145, 166],
  },
  {
    name: "generate with init",
    model: (search, maxSteps) => generator(true, search, maxSteps),
    inputs: (batch, seed) => initVectors(batch, seed),
    seeds: [103, 114, 129],
  },
  {
    name: "generate from zeros",
    model: (search, maxSteps) => generator(false, search, maxSteps),
    inputs: (batch) => nothing(batch),
    seeds: [238, 278, 312],
  },
];

interface Decoding {
  /** tokens[b][t] */
  readonly tokens: number[][];
  /** logits[b][t][v] */
  readonly logits: number[][][];
}

function rowsOf(t: Tensor): number[][] {
  const [batch, steps] = t.shape as [number, number];
  return Array.from({ length: batch }, (_, b) =>
    Array.from(t.data.subarray(b * steps, (b + 1) * steps)),
  );
}

function logitsOf(t: Tensor): number[][][] {
  const [batch, steps, vocab] = t.shape as [number, number, number];
  return Array.from({ length: batch }, (_, b) =>
    Array.from({ length: steps }, (_, s) => {
      const at = (b * steps + s) * vocab;
      return Array.from(t.data.subarray(at, at + vocab));
    }),
  );
}

interface EvalOptions {
  readonly mode: "infer" | "train";
  readonly seed?: number;
  readonly precision?: Precision;
  /** "lower" evaluates the scan form instead of the unrolled graph. */
  readonly until?: string;
}

/**
 * Lowers, unrolls and evaluates the model for `batch` rows (given explicitly, so that a
 * generator without conditioning inputs can run many rows), checking the IR after each pass.
 */
function evaluateModel(
  model: CheckedModel,
  weights: Weights,
  batch: number,
  inputs: Record<string, Tensor>,
  lengths: Record<string, number[]>,
  options: EvalOptions,
): Record<string, Tensor> {
  const steps: Record<string, number> = {};
  const feeds: Record<string, Tensor> = { ...inputs };
  for (const input of model.inputs) {
    const given = inputs[input.name];
    if (!given || !input.type.time) continue;
    const axis = input.type.time;
    steps[axis] = given.shape[1]!;
    feeds[`lengths.${axis}`] = tensor(
      "int",
      [batch],
      lengths[axis] ?? Array(batch).fill(steps[axis]),
    );
  }
  const { mode, seed = 0, precision, until } = options;
  const graph = compileModel(model, { batch, steps, mode, seed, until, verify: true });
  const params: Record<string, Tensor> = {};
  for (const p of model.params) params[p.name] = fromStored(weights.get(p.name)!);
  // Training graphs draw their random masks from the trainer's step number.
  if (graph.inputs.has("rng.step")) feeds["rng.step"] = tensor("int", [], [0]);
  return evaluate(graph, { inputs: feeds, params }, { precision });
}

function decoding(outputs: Record<string, Tensor>): Decoding {
  return { tokens: rowsOf(outputs.tokens!), logits: logitsOf(outputs.logits!) };
}

/** Decodes freely (mode "infer"). */
function infer(
  model: CheckedModel,
  weights: Weights,
  c: Conditioning,
  seed = 0,
  precision: Precision = "float64",
): Decoding {
  const options = { mode: "infer", seed, precision } as const;
  return decoding(evaluateModel(model, weights, c.batch, c.inputs, c.lengths ?? {}, options));
}

/** Teacher forcing (mode "train") on `targets` (one row per conditioning row). */
function force(
  model: CheckedModel,
  weights: Weights,
  c: Conditioning,
  targets: readonly (readonly number[])[],
  precision: Precision = "float64",
): Decoding {
  const steps = targets[0]!.length;
  expect(targets.length).toBe(c.batch);
  const inputs = { ...c.inputs, tgt: tensor("int", [c.batch, steps], targets.flat()) };
  const options = { mode: "train", precision } as const;
  return decoding(evaluateModel(model, weights, c.batch, inputs, c.lengths ?? {}, options));
}

/** The index of the last step that counts: the first eos, or the last step. */
function lastCounted(row: readonly number[]): number {
  const i = row.indexOf(EOS);
  return i < 0 ? row.length - 1 : i;
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

function logSoftmax(xs: readonly number[]): number[] {
  const max = Math.max(...xs);
  const logSum = Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
  return xs.map((x) => x - max - logSum);
}

function softmax(xs: readonly number[]): number[] {
  const max = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** Tokens are well formed: ids in range, and only eos after the first eos. */
function expectEosAbsorbing(tokens: readonly number[][]): void {
  for (const row of tokens) {
    for (const t of row) expect(t >= 0 && t < VOCAB, `token ${t} in range`).toBe(true);
    const first = row.indexOf(EOS);
    if (first >= 0) expect(row.slice(first)).toEqual(row.slice(first).map(() => EOS));
  }
}

/** The free-running logits equal the teacher-forced ones bit for bit up to the first eos. */
function expectSameLogitsUpToEos(got: Decoding, forced: Decoding, context: string): void {
  got.tokens.forEach((row, b) => {
    for (let s = 0; s <= lastCounted(row); s++)
      expect(got.logits[b]![s], `${context}: row ${b}, step ${s}`).toEqual(forced.logits[b]![s]);
  });
}

/** Coverage: the chosen weights make the decoders do something non-trivial. */
function coverage(tokens: readonly number[][]) {
  const stopped = tokens.filter((row) => row.slice(0, -1).includes(EOS)).length;
  const running = tokens.filter((row) => !row.includes(EOS)).length;
  const distinct = new Set(tokens.flatMap((row) => row.slice(0, lastCounted(row) + 1))).size;
  return { stopped, running, distinct };
}

// -------------------------------------------------------------------------------------------

describe("greedy decoding is self-consistent with teacher forcing", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const maxSteps = 6;
    const model = c.model("greedy", maxSteps);
    let covered = { stopped: 0, running: 0, distinct: 0 };
    for (const weightSeed of c.seeds) {
      const weights = randomWeights(model.params, weightSeed);
      const cond = c.inputs(8, weightSeed + 1);
      for (const precision of ["float64", "float32"] as const) {
        const context = `seed ${weightSeed}, ${precision}`;
        const greedy = infer(model, weights, cond, 0, precision);
        expect(greedy.tokens.length).toBe(cond.batch);
        expect(greedy.tokens[0]!.length).toBe(maxSteps);
        expectEosAbsorbing(greedy.tokens);
        // Each token is the argmax of its own step's logits (until the first eos).
        greedy.tokens.forEach((row, b) => {
          for (let s = 0; s <= lastCounted(row); s++)
            expect(row[s], `${context}: row ${b}, step ${s}`).toBe(argmax(greedy.logits[b]![s]!));
        });
        const forced = force(model, weights, cond, greedy.tokens, precision);
        expectSameLogitsUpToEos(greedy, forced, context);
        if (precision === "float32") continue;
        const k = coverage(greedy.tokens);
        covered = {
          stopped: covered.stopped + k.stopped,
          running: covered.running + k.running,
          distinct: Math.max(covered.distinct, k.distinct),
        };
      }
    }
    // Rows that stop before max_steps and rows that run to it both occurred, with varied tokens.
    expect(covered.stopped).toBeGreaterThan(0);
    expect(covered.running).toBeGreaterThan(0);
    expect(covered.distinct).toBeGreaterThanOrEqual(3);
  });
});

// -------------------------------------------------------------------------------------------

/** Every canonical sequence of `steps` tokens: anything, then eos forever after the first eos. */
function allSequences(steps: number): number[][] {
  let out: number[][] = [[]];
  for (let s = 0; s < steps; s++) {
    out = out.flatMap((prefix) =>
      prefix.includes(EOS)
        ? [[...prefix, EOS]]
        : Array.from({ length: VOCAB }, (_, v) => [...prefix, v]),
    );
  }
  return out;
}

/** Sum of log-probabilities up to and including the first eos, over length^penalty. */
function sequenceScore(
  tokens: readonly number[],
  logits: readonly number[][],
  lengthPenalty: number,
): number {
  const last = lastCounted(tokens);
  let sum = 0;
  for (let s = 0; s <= last; s++) sum += logSoftmax(logits[s]!)[tokens[s]!]!;
  return sum / Math.pow(last + 1, lengthPenalty);
}

describe("beam search", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("width 1 is greedy: %s", (_, c) => {
    const maxSteps = 6;
    const greedyModel = c.model("greedy", maxSteps);
    for (const lengthPenalty of [0, 1]) {
      const beamModel = c.model(`beam(width: 1, length_penalty: ${lengthPenalty})`, maxSteps);
      for (const weightSeed of c.seeds) {
        const weights = randomWeights(greedyModel.params, weightSeed);
        const cond = c.inputs(8, weightSeed + 1);
        const greedy = infer(greedyModel, weights, cond);
        const beam = infer(beamModel, weights, cond);
        expect(beam.tokens).toEqual(greedy.tokens);
        expectSameLogitsUpToEos(beam, greedy, `seed ${weightSeed}`);
      }
    }
  });

  const STEPS = 3;
  const SEQUENCES = allSequences(STEPS);

  it("enumerates the 85 distinct sequences of 3 tokens over a vocabulary of 5", () => {
    expect(SEQUENCES.length).toBe(4 * 4 * 5 + 4 + 1);
  });

  // Beam search prunes by the raw summed log-probability and applies the length penalty only
  // when it picks the final beam. Width 25 keeps every prefix up to the last step (at most 21
  // live ones: 4 running × 5 + 1 finished), so with length_penalty 0 it is exact; with a
  // penalty the final topk must also keep every complete sequence: width 85.
  const EXACT = [
    { lengthPenalty: 0, width: 25 },
    { lengthPenalty: 1, width: 85 },
    { lengthPenalty: 0.6, width: 85 },
  ];

  describe.each(CASES.map((c) => [c.name, c] as const))(
    "a wide beam returns the best of all sequences: %s",
    (_, c) => {
      it.each(EXACT)("length_penalty $lengthPenalty, width $width", ({ lengthPenalty, width }) => {
        const model = c.model(`beam(width: ${width}, length_penalty: ${lengthPenalty})`, STEPS);
        let decisive = 0;
        for (const weightSeed of c.seeds) {
          const weights = randomWeights(model.params, weightSeed);
          const cond = c.inputs(3, weightSeed + 1);
          const beam = infer(model, weights, cond);
          expectEosAbsorbing(beam.tokens);
          // The oracle: teacher forcing scores every sequence for every conditioning row.
          const n = SEQUENCES.length;
          const all = force(
            model,
            weights,
            cond.repeat(n),
            Array.from({ length: cond.batch }, () => SEQUENCES).flat(),
          );
          for (let b = 0; b < cond.batch; b++) {
            const scores = SEQUENCES.map((seq, j) =>
              sequenceScore(seq, all.logits[b * n + j]!, lengthPenalty),
            );
            const order = scores.map((_, j) => j).sort((x, y) => scores[y]! - scores[x]!);
            const best = scores[order[0]!]!;
            const chosen = SEQUENCES.findIndex((seq) => seq.join() === beam.tokens[b]!.join());
            expect(
              chosen,
              `row ${b}: ${beam.tokens[b]} is a canonical sequence`,
            ).toBeGreaterThanOrEqual(0);
            const context = `seed ${weightSeed}, row ${b}: beam chose ${beam.tokens[b]} (score ${scores[chosen]}), best is ${SEQUENCES[order[0]!]} (score ${best})`;
            expect(scores[chosen]!, context).toBeGreaterThanOrEqual(best - 1e-12);
            if (best - scores[order[1]!]! > 1e-9) {
              decisive++;
              expect(beam.tokens[b], context).toEqual(SEQUENCES[order[0]!]);
            }
            // The returned logits are the chosen path's logits (its teacher-forced logits).
            for (let s = 0; s <= lastCounted(beam.tokens[b]!); s++)
              expect(beam.logits[b]![s], `${context}, logits at step ${s}`).toEqual(
                all.logits[b * n + chosen]![s],
              );
          }
        }
        expect(decisive).toBeGreaterThan(0);
      });
    },
  );
});

// -------------------------------------------------------------------------------------------

/** The sample kernel's draw, recomputed: the inverse CDF of softmax(logits / t) at u. */
function inverseCdf(logits: readonly number[], temperature: number, u: number): number {
  const scaled = logits.map((x) => x / temperature);
  let max = -Infinity;
  for (const x of scaled) if (x > max) max = x;
  const e = scaled.map((x) => Math.exp(x - max));
  let sum = 0;
  for (const x of e) sum += x;
  const inv = 1 / sum;
  let cumulative = 0;
  let lastNonzero = -1;
  for (let j = 0; j < e.length; j++) {
    const p = e[j]! * inv;
    if (p > 0) lastNonzero = j;
    cumulative += p;
    if (cumulative > u) return j;
  }
  return lastNonzero;
}

/** The logits restricted to the top k (the rest masked as the lowering does). */
function topK(logits: readonly number[], k: number | undefined): number[] {
  if (k === undefined) return [...logits];
  const kth = [...logits].sort((a, b) => b - a)[k - 1]!;
  return logits.map((x) => (x < kth ? -1e30 : x));
}

/** Pearson's chi-square statistic of observed counts against probabilities. */
function chiSquare(counts: readonly number[], probs: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let chi = 0;
  counts.forEach((o, j) => {
    const e = total * probs[j]!;
    if (e > 0) chi += ((o - e) * (o - e)) / e;
    else expect(o, `token ${j} has probability 0`).toBe(0);
  });
  return chi;
}

describe("sampling", () => {
  const SEARCHES = [
    { search: "sample(temperature: 1)", temperature: 1, k: undefined },
    { search: "sample(temperature: 0.6)", temperature: 0.6, k: undefined },
    { search: "sample(temperature: 1.7, top_k: 2)", temperature: 1.7, k: 2 },
  ] as const;

  it.each(CASES.map((c) => [c.name, c] as const))(
    "is seeded, follows the documented RNG and is self-consistent: %s",
    (_, c) => {
      const maxSteps = 6;
      for (const { search, temperature, k } of SEARCHES) {
        const model = c.model(search, maxSteps);
        const weights = randomWeights(model.params, c.seeds[0]!);
        // Several rows per conditioning row, so rows with equal inputs must differ by row index.
        const cond = c.inputs(2, c.seeds[0]! + 1).repeat(6);
        const a = infer(model, weights, cond, 7);
        const again = infer(model, weights, cond, 7);
        const other = infer(model, weights, cond, 8);
        expect(again.tokens).toEqual(a.tokens);
        expect(again.logits).toEqual(a.logits);
        expect(other.tokens).not.toEqual(a.tokens);
        expect(new Set(a.tokens.map((row) => row.join())).size).toBeGreaterThan(1);
        expectEosAbsorbing(a.tokens);
        for (const [seed, run] of [
          [7, a],
          [8, other],
        ] as const) {
          // Every draw is the inverse CDF at sampleUniform(seed, step, row).
          run.tokens.forEach((row, b) => {
            for (let s = 0; s <= lastCounted(row); s++) {
              const candidates = topK(run.logits[b]![s]!, k);
              const want = inverseCdf(candidates, temperature, sampleUniform(seed, s, b));
              expect(row[s], `${search}, seed ${seed}, row ${b}, step ${s}`).toBe(want);
            }
          });
          // Teacher forcing on the sampled tokens reproduces the logits.
          expectSameLogitsUpToEos(run, force(model, weights, cond, run.tokens), search);
        }
      }
    },
  );

  const ROWS = 3000;
  // Weight seeds whose first-step distributions spread over several tokens at every temperature.
  describe.each([
    ["decode, attention: luong", 900],
    ["generate with init", 904],
  ] as const)("frequencies over %s", (name, weightSeed) => {
    const c = CASES.find((x) => x.name === name)!;
    it.each(SEARCHES)("$search", ({ search, temperature, k }) => {
      const model = c.model(search, 2);
      const weights = randomWeights(model.params, weightSeed);
      const cond = c.inputs(1, weightSeed + 1).repeat(ROWS);
      const run = infer(model, weights, cond, 12345);
      // Every row has the same inputs, so the same first-step logits.
      const logits0 = run.logits[0]![0]!;
      for (const row of run.logits) expect(row[0]).toEqual(logits0);
      const probs = softmax(topK(logits0, k).map((x) => x / temperature));
      // Not degenerate: at least three tokens (two with top_k) are reasonably likely.
      expect(probs.filter((p) => p > 0.03).length).toBeGreaterThanOrEqual(k ?? 3);
      const counts = Array.from({ length: VOCAB }, () => 0);
      for (const row of run.tokens) counts[row[0]!]!++;
      if (k !== undefined) {
        const allowed = new Set(
          logits0
            .map((x, j) => [x, j] as const)
            .sort((p, q) => q[0] - p[0])
            .slice(0, k)
            .map(([, j]) => j),
        );
        counts.forEach((n, j) => {
          if (!allowed.has(j)) expect(n, `token ${j} is outside the top ${k}`).toBe(0);
        });
      }
      const df = probs.filter((p) => p > 0).length - 1;
      // Generous: the 99.99th percentile of chi-square with 4 degrees of freedom is 23.5.
      expect(chiSquare(counts, probs), `counts ${counts}, probabilities ${probs}`).toBeLessThan(
        df <= 1 ? 15.2 : 23.5,
      );
      // Step 1, given each step-0 token that stayed alive often enough: its own softmax.
      for (let first = 0; first < VOCAB; first++) {
        if (first === EOS) continue;
        const rows = run.tokens
          .map((row, b) => [row, b] as const)
          .filter(([row]) => row[0] === first);
        if (rows.length < 300) continue;
        const logits1 = run.logits[rows[0]![1]]![1]!;
        const p1 = softmax(topK(logits1, k).map((x) => x / temperature));
        const c1 = Array.from({ length: VOCAB }, () => 0);
        for (const [row, b] of rows) {
          expect(run.logits[b]![1]).toEqual(logits1);
          c1[row[1]!]!++;
        }
        expect(chiSquare(c1, p1), `step 1 after ${first}: ${c1} vs ${p1}`).toBeLessThan(23.5);
      }
    });
  });
});

// -------------------------------------------------------------------------------------------

describe("feature generation feeds back its own output", () => {
  it.each([true, false])("init: %s", (withInit) => {
    const F = 2;
    const steps = 5;
    const model = modelOf(`model f {
  ${withInit ? "input z: float[3]" : ""}
  input y: float[T, ${F}] for training
  dec = generate(cell: gru(hidden: 3), ${withInit ? "init: z, " : ""}features: ${F}, max_steps: ${steps}, teacher: y)
  output values = dec.values
}`);
    for (const weightSeed of [1000, 1001]) {
      const weights = randomWeights(model.params, weightSeed);
      const cond = withInit ? initVectors(4, weightSeed + 1) : nothing();
      const { outputs } = runReference(
        model,
        { inputs: new Map(Object.entries(cond.inputs)), weights },
        { mode: "infer" },
      );
      const values = outputs.values!;
      expect(values.shape).toEqual([cond.batch, steps, F]);
      // Not constant over time (the recurrence does something).
      expect(new Set(Array.from(values.data)).size).toBeGreaterThan(F * 2);
      const inputs = new Map(Object.entries(cond.inputs));
      inputs.set("y", tensor("float", values.shape, values.data));
      const forced = runReference(
        model,
        { inputs, lengths: { T: Array.from({ length: cond.batch }, () => steps) }, weights },
        { mode: "train" },
      ).outputs.values!;
      expect(forced.shape).toEqual(values.shape);
      expect(Array.from(forced.data)).toEqual(Array.from(values.data));
    }
  });
});

// -------------------------------------------------------------------------------------------

describe("variable source lengths: each example decodes as it would alone", () => {
  const lengths = [4, 1, 3];
  const S = 4;
  it.each(
    (["luong", "bahdanau", "none"] as const).flatMap((attention) =>
      ["greedy", "beam(width: 3, length_penalty: 1)"].map((search) => [attention, search] as const),
    ),
  )("attention: %s, search: %s", (attention, search) => {
    const model = seq2seq(attention, search, 6);
    const weights = randomWeights(model.params, 1100);
    const random = seededRandom(1101);
    const ids = Array.from({ length: 3 * S }, () => Math.floor(random() * SRC_VOCAB));
    const together = infer(model, weights, sourceRows(ids, lengths, S));
    lengths.forEach((length, b) => {
      const own = ids.slice(b * S, b * S + length);
      // Alone, unpadded; and alone, padded with other (valid) ids.
      const padded = [
        ...own,
        ...Array.from({ length: S - length }, (_, j) => (own[0]! + 1 + j) % SRC_VOCAB),
      ];
      for (const [row, steps] of [
        [own, length],
        [padded, S],
      ] as const) {
        const alone = infer(model, weights, sourceRows(row, [length], steps));
        expect(together.tokens[b], `row ${b} alone over ${steps} steps`).toEqual(alone.tokens[0]);
        expect(together.logits[b], `row ${b} alone over ${steps} steps`).toEqual(alone.logits[0]);
      }
    });
  });
});

// -------------------------------------------------------------------------------------------

describe("the scan form evaluates to the unrolled graph's results", () => {
  it.each(
    CASES.flatMap((c) =>
      ["greedy", "beam(width: 3, length_penalty: 1)", "sample(temperature: 0.8, top_k: 3)"].map(
        (search) => [c.name, search, c] as const,
      ),
    ),
  )("%s, search: %s", (_, search, c) => {
    const model = c.model(search, 5);
    const weights = randomWeights(model.params, c.seeds[0]!);
    const cond = c.inputs(4, c.seeds[0]! + 1).repeat(2);
    const run = (until: string | undefined) =>
      evaluateModel(model, weights, cond.batch, cond.inputs, cond.lengths ?? {}, {
        mode: "infer",
        seed: 99,
        until,
      });
    const scanned = run("lower");
    const unrolled = run(undefined);
    expect(Object.keys(scanned).sort()).toEqual(Object.keys(unrolled).sort());
    for (const key of Object.keys(unrolled)) {
      expect(scanned[key]!.shape, key).toEqual(unrolled[key]!.shape);
      expect(Array.from(scanned[key]!.data), key).toEqual(Array.from(unrolled[key]!.data));
    }
  });
});

// -------------------------------------------------------------------------------------------

describe("teacher_forcing: r (scheduled sampling)", () => {
  const model = (ratio: string) =>
    seq2seq("luong", "greedy", 6, { extra: `, teacher_forcing: ${ratio}` });
  const weightSeed = DECODE_SEEDS.luong[0]!;
  const cond = sources(8, weightSeed + 1);
  const random = seededRandom(1200);
  const targets = () =>
    Array.from({ length: cond.batch }, () =>
      Array.from({ length: 6 }, () => Math.floor(random() * VOCAB)),
    );
  const maxDifference = (a: Decoding, b: Decoding) =>
    Math.max(...a.logits.flat(2).map((x, i) => Math.abs(x - b.logits.flat(2)[i]!)));

  it("1 is full teacher forcing, the default", () => {
    const weights = randomWeights(model("1").params, weightSeed);
    const tgt = targets();
    expect(force(model("1"), weights, cond, tgt)).toEqual(
      force(seq2seq("luong", "greedy", 6), weights, cond, tgt),
    );
  });

  // docs/language.md: "teacher_forcing: r feeds targets with probability r". With r = 0 the
  // targets are never fed, so what a training run computes cannot depend on them, and with
  // greedy search the decoder feeds back its own argmax, as free-running greedy decoding does.
  it("0 never feeds the targets", () => {
    const m = model("0");
    const weights = randomWeights(m.params, weightSeed);
    const a = force(m, weights, cond, targets());
    const b = force(m, weights, cond, targets());
    expect(maxDifference(a, b), "logits under two different target sequences").toBe(0);
    const free = infer(m, weights, cond);
    expectSameLogitsUpToEos(free, a, "teacher_forcing: 0 against free-running greedy");
  });
});
