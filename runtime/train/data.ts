/**
 * Training data: examples from JSON Lines (or CSV, see parseCsv), one example per line, keyed by model input name,
 * without the batch dimension — `{"x": [[0.1, 0.2], [0.3, 0.4]], "label": [1]}` for inputs
 * `x: float[T, 2]` and `label: float[1]`. Sequences may have any length. Batches bucket
 * examples of similar length (less padding), and their order is shuffled per epoch from a
 * seed, so a run is reproducible.
 */
import { parse as parseCsvText } from "csv-parse/sync";
import type { Batch } from "./trainer.ts";

/** What the data layer needs to know of a model input. */
export interface InputSpec {
  readonly name: string;
  readonly dtype: "float" | "int";
  readonly time: string | undefined;
  readonly dims: readonly number[];
}

export type Example = ReadonlyMap<
  string,
  { readonly data: readonly number[]; readonly steps: number }
>;

export class DataError extends Error {
  readonly code = "RNN4401";
}

/** The largest float32: training runs in float32, where larger values are infinity. */
const F32_MAX = 3.4028234663852886e38;

function flatten(value: unknown, depth: number, where: string, out: number[]): void {
  if (depth === 0) {
    if (typeof value !== "number" || !(Math.abs(value) <= F32_MAX))
      throw new DataError(
        `${where}: expected a finite float32 number, got ${typeof value === "number" ? value : JSON.stringify(value)?.slice(0, 30)}`,
      );
    out.push(value);
    return;
  }
  if (!Array.isArray(value))
    throw new DataError(`${where}: expected an array, got ${JSON.stringify(value)?.slice(0, 30)}`);
  value.forEach((v, i) => flatten(v, depth - 1, `${where}[${i}]`, out));
}

/** Parses one example; `where` names its line for errors. */
export function parseExample(line: string, inputs: readonly InputSpec[], where: string): Example {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    throw new DataError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new DataError(`${where}: expected an object keyed by input name`);
  return exampleFrom(json as Record<string, unknown>, inputs, where);
}

/** An example from values keyed by input name (a JSON object, or a CSV row's cells). */
function exampleFrom(
  record: Record<string, unknown>,
  inputs: readonly InputSpec[],
  where: string,
): Example {
  const out = new Map<string, { data: number[]; steps: number }>();
  for (const input of inputs) {
    const value = Object.hasOwn(record, input.name) ? record[input.name] : undefined;
    if (value === undefined) throw new DataError(`${where}: missing input '${input.name}'`);
    const data: number[] = [];
    const depth = (input.time ? 1 : 0) + input.dims.length;
    flatten(value, depth, `${where}: ${input.name}`, data);
    const per = input.dims.reduce((a, b) => a * b, 1);
    const steps = input.time ? (value as unknown[]).length : 1;
    if (data.length !== steps * per)
      throw new DataError(
        `${where}: ${input.name} should hold ${input.time ? "steps of " : ""}${per} values, got ${data.length}`,
      );
    if (input.time && steps === 0)
      throw new DataError(`${where}: ${input.name} is an empty sequence`);
    if (input.dtype === "int" && data.some((v) => !Number.isInteger(v)))
      throw new DataError(`${where}: ${input.name} holds token ids, which are whole numbers`);
    out.set(input.name, { data, steps });
  }
  return out;
}

/**
 * Parses every line; `vocabularies` bounds token-id inputs (an id must be below the size of
 * the vocabulary it indexes).
 */
/**
 * Examples from CSV: a header row names the inputs; each cell holds a number or a JSON array
 * (quoted): `x,label` then `"[[0.1],[0.2]]",1`. A single number stands for a one-value vector.
 */
export function parseCsv(
  text: string,
  inputs: readonly InputSpec[],
  file: string,
  vocabularies: ReadonlyMap<string, number> = new Map(),
): Example[] {
  let rows: string[][];
  try {
    rows = parseCsvText(text, { skip_empty_lines: true, trim: true, relax_column_count: false });
  } catch (e) {
    throw new DataError(`${file}: not valid CSV (${(e as Error).message})`);
  }
  const [header, ...body] = rows;
  if (!header || body.length === 0)
    throw new DataError(`${file}: no examples (a header row and at least one row)`);
  const missing = inputs.filter((i) => !header.includes(i.name)).map((i) => i.name);
  if (missing.length > 0)
    throw new DataError(
      `${file}:1: the header lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
    );
  return body.map((row, r) => {
    const where = `${file}:${r + 2}`;
    const record: Record<string, unknown> = {};
    header.forEach((name, c) => {
      const cell = row[c] ?? "";
      let value: unknown;
      try {
        value = JSON.parse(cell);
      } catch {
        throw new DataError(
          `${where}: column ${name} holds '${cell.slice(0, 30)}', not a number or a JSON array`,
        );
      }
      const input = inputs.find((i) => i.name === name);
      record[name] =
        typeof value === "number" && input && !input.time && input.dims.length === 1
          ? [value]
          : value;
    });
    return checkedExample(exampleFrom(record, inputs, where), vocabularies, where);
  });
}

/** Token ids must index their vocabulary. */
function checkedExample(
  example: Example,
  vocabularies: ReadonlyMap<string, number>,
  where: string,
): Example {
  for (const [name, vocab] of vocabularies) {
    const bad = example.get(name)?.data.find((id) => id < 0 || id >= vocab);
    if (bad !== undefined) {
      throw new DataError(
        `${where}: ${name} holds token id ${bad}, outside the vocabulary [0, ${vocab})`,
      );
    }
  }
  return example;
}

export function parseJsonLines(
  text: string,
  inputs: readonly InputSpec[],
  file: string,
  vocabularies: ReadonlyMap<string, number> = new Map(),
): Example[] {
  const examples: Example[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${file}:${i + 1}`;
    examples.push(checkedExample(parseExample(line, inputs, where), vocabularies, where));
  });
  if (examples.length === 0) throw new DataError(`${file}: no examples`);
  return examples;
}

/** A small seeded generator (mulberry32) for shuffling. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = random(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Pads a group of examples into one batch. */
export function toBatch(examples: readonly Example[], inputs: readonly InputSpec[]): Batch {
  const batch = new Map<string, { dtype: "float" | "int"; shape: number[]; data: Float64Array }>();
  const lengths: Record<string, number[]> = {};
  for (const input of inputs) {
    const per = input.dims.reduce((a, b) => a * b, 1);
    const steps = input.time ? Math.max(...examples.map((e) => e.get(input.name)!.steps)) : 1;
    const data = new Float64Array(examples.length * steps * per);
    examples.forEach((e, b) => data.set(e.get(input.name)!.data, b * steps * per));
    const shape = [examples.length, ...(input.time ? [steps] : []), ...input.dims];
    batch.set(input.name, { dtype: input.dtype, shape, data });
    if (input.time) lengths[input.time] ??= examples.map((e) => e.get(input.name)!.steps);
  }
  return { inputs: batch, lengths };
}

/**
 * Batches of about `size` examples, bucketed by the length of the first sequence input (so
 * a batch pads little), in an order shuffled by `seed`.
 */
export function batches(
  examples: readonly Example[],
  inputs: readonly InputSpec[],
  size: number,
  seed: number,
): Batch[] {
  const first = inputs.find((i) => i.time);
  const order = shuffled(examples, seed);
  if (first) order.sort((a, b) => a.get(first.name)!.steps - b.get(first.name)!.steps);
  const groups: Example[][] = [];
  for (let i = 0; i < order.length; i += size) groups.push(order.slice(i, i + size));
  return shuffled(groups, seed + 1).map((g) => toBatch(g, inputs));
}

/**
 * Truncated backpropagation through time: a batch cut into windows of `size` steps along its
 * (single) time axis. Each window keeps the per-sequence inputs; a sequence that has ended
 * has length 0 in later windows (its states pass through unchanged); windows in which every
 * sequence has ended are dropped. The caller feeds each window the previous one's final states.
 */
export function windows(batch: Batch, inputs: readonly InputSpec[], size: number): Batch[] {
  const axes = new Set(inputs.filter((i) => i.time).map((i) => i.time!));
  if (axes.size !== 1)
    throw new DataError(
      `truncated backpropagation needs exactly one time axis, the model has ${axes.size}`,
    );
  const [axis] = axes;
  const lengths = batch.lengths[axis!]!;
  const total = Math.max(...lengths);
  const out: Batch[] = [];
  for (let start = 0; start < total; start += size) {
    const windowLengths = lengths.map((l) => Math.max(0, Math.min(size, l - start)));
    if (windowLengths.every((l) => l === 0)) continue;
    const sliced = new Map<
      string,
      { dtype: "float" | "int"; shape: number[]; data: Float64Array }
    >();
    for (const input of inputs) {
      const t = batch.inputs.get(input.name)!;
      if (!input.time) {
        sliced.set(input.name, {
          dtype: t.dtype,
          shape: [...t.shape],
          data: Float64Array.from(t.data),
        });
        continue;
      }
      const [rows, steps, ...rest] = t.shape as [number, number, ...number[]];
      const per = rest.reduce((a, b) => a * b, 1);
      const width = Math.min(size, steps - start);
      const data = new Float64Array(rows * width * per);
      for (let b = 0; b < rows; b++) {
        for (let s = 0; s < width * per; s++)
          data[b * width * per + s] = t.data[(b * steps + start) * per + s]!;
      }
      sliced.set(input.name, { dtype: t.dtype, shape: [rows, width, ...rest], data });
    }
    out.push({ inputs: sliced, lengths: { [axis!]: windowLengths } });
  }
  return out;
}
