/**
 * The loader fuzzers: real files (a bundle written by bundleFiles, its weights, training data
 * and run inputs for its model) damaged by ./corrupt.ts and handed to the runtime's loaders.
 * The contract: each is loaded, or refused with an error of the runtime's own classes that
 * carries an RNN4xxx code (WeightsError, BundleError, ExecutorError, DataError). Anything
 * else is a crash. A loaded bundle must run or refuse its input the same way; after every
 * refusal the pristine bundle on disk is unchanged and still gives the baseline's outputs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { bundleFiles, writeBundleDir } from "../../../compiler/bundle/write.ts";
import { BundleModel, type Outputs } from "../../../runtime/bundle/index.ts";
import type { InputValue } from "../../../runtime/bundle/feeds.ts";
import { parseCsv, parseJsonLines, toBatch, type InputSpec } from "../../../runtime/train/data.ts";
import { readSafetensors } from "../../../runtime/weights/safetensors.ts";
import { checkOk } from "../../support/check.ts";
import {
  damageBytes,
  damageJson,
  damageJsonValue,
  damageSafetensors,
  type Damage,
} from "./corrupt.ts";
import { Rng } from "./rng.ts";

export const LOADER_SPEC = `
model tagger {
  input tokens: int[T]
  input extra: float[3]
  input label: float[1] for training

  enc = encode(embedding(tokens, vocab: 10, dim: 4), cell: gru(hidden: 5))
  output tags = linear(enc.outputs, 2)
  logit = linear(enc.final, 1) + linear(extra, 1)
  output prob = sigmoid(logit)
  loss bce_with_logits(logit, label)
}`;

export const LIMITS = { batch: 4, steps: { T: 6 } };

/** A valid input of the loader model. */
export const BASE_INPUT = {
  tokens: [
    [1, 2, 3, 4],
    [5, 6],
  ],
  extra: [
    [0.5, -1, 2],
    [0, 0.25, 1],
  ],
};

export type LoaderOutcome =
  | { readonly status: "loaded" }
  | { readonly status: "refused"; readonly code: string }
  | { readonly status: "crash"; readonly error: string };

const CLASSES = new Set(["WeightsError", "BundleError", "ExecutorError", "DataError"]);

/** A refusal when `e` is one of the runtime's coded errors, else a crash. */
export function classify(e: unknown): LoaderOutcome {
  const err = e as {
    name?: string;
    code?: unknown;
    message?: string;
    constructor?: { name?: string };
  };
  const cls = err?.constructor?.name ?? err?.name;
  if (cls && CLASSES.has(cls) && typeof err.code === "string" && /^RNN4\d{3}$/.test(err.code))
    return { status: "refused", code: err.code };
  const text =
    e instanceof Error
      ? `${e.name}: ${e.message}\n${e.stack?.split("\n").slice(1, 4).join("\n")}`
      : String(e);
  return { status: "crash", error: text.slice(0, 800) };
}

async function outcomeOf(f: () => Promise<unknown> | unknown): Promise<LoaderOutcome> {
  try {
    await f();
    return { status: "loaded" };
  } catch (e) {
    return classify(e);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Bit-identical outputs (NaN equal to NaN). */
export function sameOutputs(a: Outputs, b: Outputs): boolean {
  return Object.keys(a).every(
    (k) =>
      b[k] &&
      a[k]!.data.length === b[k]!.data.length &&
      a[k]!.data.every((v, i) => Object.is(v, b[k]!.data[i])),
  );
}

export interface FuzzResult {
  readonly kind: string;
  readonly how: string;
  readonly outcome: LoaderOutcome;
}

const DATA_INPUTS: InputSpec[] = [
  { name: "tokens", dtype: "int", time: "T", dims: [] },
  { name: "extra", dtype: "float", time: undefined, dims: [3] },
  { name: "label", dtype: "float", time: undefined, dims: [1] },
];
const VOCABULARIES = new Map([["tokens", 10]]);

const JSONL = Array.from({ length: 6 }, (_, i) =>
  JSON.stringify({
    tokens: Array.from({ length: 1 + (i % 4) }, (_, t) => (i + t) % 10),
    extra: [i / 2, -i, 0.125],
    label: [i % 2],
  }),
).join("\n");
const CSV = `tokens,extra,label\n${Array.from({ length: 6 }, (_, i) => `"[${i % 10},${(i + 1) % 10}]","[${i},0.5,-1]",${i % 2}`).join("\n")}\n`;

/** The examples of a successful parse hold what the model can take: finite, whole ids in range. */
function checkExamples(examples: ReturnType<typeof parseJsonLines>): void {
  for (const e of examples)
    for (const spec of DATA_INPUTS) {
      const v = e.get(spec.name);
      if (!v) throw new Error(`an example lacks ${spec.name}`);
      const per = spec.dims.reduce((a, b) => a * b, 1);
      if (v.data.length !== v.steps * per)
        throw new Error(`${spec.name}: ${v.data.length} values for ${v.steps} steps`);
      if (v.data.some((x) => !Number.isFinite(x)))
        throw new Error(`${spec.name}: a value is not finite`);
      if (spec.dtype === "int" && v.data.some((x) => !Number.isInteger(x) || x < 0 || x >= 10))
        throw new Error(`${spec.name}: a token id outside [0, 10)`);
    }
  toBatch(examples.slice(0, 4), DATA_INPUTS);
}

/** Run inputs damaged as trees: nested arrays, flat {data, shape}, lengths. */
function damageInput(rng: Rng): {
  inputs: Record<string, unknown>;
  lengths?: unknown;
  how: string;
} {
  const roll = rng.int(8);
  if (roll === 0) {
    const name = rng.pick(["tokens", "extra"]);
    const flat =
      name === "tokens"
        ? { data: Int32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] }
        : { data: Float32Array.from([0.5, -1, 2, 0, 0.25, 1]), shape: [2, 3] };
    const choice = rng.int(6);
    if (choice === 0)
      flat.shape = rng.pick([[2, 3.5], [6], [1e9, 1e9], [2, -3], [0, 3], [2, 3, 1], [2 ** 53, 3]]);
    else if (choice === 1 && flat.data instanceof Float32Array)
      flat.data[rng.int(6)] = rng.pick([NaN, Infinity, -Infinity]);
    else if (choice === 2)
      (flat as { data: unknown }).data = rng.pick<unknown>([
        [1, "2", 3, 4, 5, 6],
        [NaN, 1, 2, 3, 4, 5],
        Float64Array.from([1, 2, 3, 4, 5, 6.5]),
        "abcdef",
        null,
      ]);
    else if (choice === 3)
      (flat as { shape: unknown }).shape = rng.pick<unknown>([
        "2,3",
        null,
        [[2], [3]],
        { length: 2 },
      ]);
    else if (choice === 4) flat.data = Int32Array.from([1, 2, 3, 4, 5, 99]);
    return { inputs: { ...BASE_INPUT, [name]: flat }, how: `flat ${name}` };
  }
  if (roll === 1) {
    const lengths = rng.pick<unknown>([
      { T: [4, 2] },
      { T: [5, 2] },
      { T: [0, 2] },
      { T: [NaN, 1] },
      { T: 3 },
      { T: [1.5, 2] },
      { S: [1, 1] },
      { T: [1, 2, 3] },
      { T: "4,2" },
      null,
      { T: [2 ** 53, 1] },
    ]);
    return { inputs: { ...BASE_INPUT }, lengths, how: "lengths" };
  }
  if (roll === 2) {
    const huge = rng.pick([
      () => ({
        tokens: Array.from({ length: 100_000 }, () => [1]),
        extra: Array.from({ length: 100_000 }, () => [0, 0, 0]),
      }),
      () => ({ tokens: [Array<number>(1_000_000).fill(1), [1]], extra: BASE_INPUT.extra }),
      () => ({
        tokens: [Array<number>(7).fill(1), Array<number>(1_000_000).fill(1)],
        extra: BASE_INPUT.extra,
      }),
    ])();
    return { inputs: huge, how: "beyond the limits" };
  }
  if (roll === 3) {
    const extra: Record<string, unknown> = {
      ...BASE_INPUT,
      [rng.pick(["__proto__", "constructor", "label", "toString", "x"])]: [[1]],
    };
    if (rng.chance(0.5)) delete extra[rng.pick(["tokens", "extra"])];
    return { inputs: extra, how: "names" };
  }
  const { value, how } = damageJsonValue(BASE_INPUT, rng);
  if (rng.chance(0.3)) {
    // A NaN or an infinity somewhere among the values (JSON cannot say it; objects can).
    const v = value as { extra: number[][] };
    if (Array.isArray(v.extra) && Array.isArray(v.extra[0]))
      v.extra[0][rng.int(3)] = rng.pick([NaN, Infinity, -Infinity]);
    return { inputs: value as Record<string, unknown>, how: `${how}, non-finite` };
  }
  return { inputs: value as Record<string, unknown>, how: `tree: ${how}` };
}

/**
 * A bundle of LOADER_SPEC on disk (a pristine copy and a working copy that each input damages
 * and then restores), with its baseline outputs on the CPU backend.
 */
export class LoaderFuzzer {
  private constructor(
    private readonly root: string,
    private readonly files: ReadonlyMap<string, Uint8Array>,
    private readonly pristineHashes: ReadonlyMap<string, string>,
    private readonly baseline: Outputs,
    private readonly model: BundleModel,
  ) {}

  static async create(): Promise<LoaderFuzzer> {
    const root = mkdtempSync(join(tmpdir(), "rnnc-loaders-"));
    const checked = checkOk(LOADER_SPEC).models[0]!;
    const files = await bundleFiles(checked, { limits: LIMITS, seed: 3 });
    writeBundleDir(join(root, "pristine"), files);
    writeBundleDir(join(root, "work"), files);
    const hashes = new Map([...files].map(([p, b]) => [p, sha256(b)]));
    const model = await BundleModel.load(join(root, "pristine"), { backend: "cpu" });
    const baseline = await model.run(BASE_INPUT);
    return new LoaderFuzzer(root, files, hashes, baseline, model);
  }

  get paths(): string[] {
    return [...this.files.keys()];
  }

  /** The weights file as bundleFiles wrote it. */
  get weights(): Uint8Array {
    return this.files.get("weights.safetensors")!;
  }

  dispose(): void {
    this.model.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** A damaged safetensors file, read directly. */
  safetensors(rng: Rng): FuzzResult {
    const { bytes, how } = damageSafetensors(this.weights, rng);
    let outcome: LoaderOutcome;
    try {
      readSafetensors(bytes, "weights.safetensors");
      outcome = { status: "loaded" };
    } catch (e) {
      outcome = classify(e);
    }
    return { kind: "safetensors files", how, outcome };
  }

  /**
   * A bundle with one file damaged; half the time the manifest's size and hash are updated
   * to match, so the damage reaches the parsers behind the integrity check. Loaded on the
   * CPU or reference backend, or on `device`; then a run and a stream's step.
   */
  async bundle(rng: Rng, device?: GPUDevice): Promise<FuzzResult> {
    const roll = rng.int(10);
    const path =
      roll < 4 ? "manifest.json" : roll < 7 ? "weights.safetensors" : rng.pick(this.paths);
    const original = this.files.get(path)!;
    // Kernels are code: damage to them with a matching hash is a different program, which no
    // loader can tell from the one compiled (the manifest's hash is their integrity check).
    const code = !path.endsWith(".json") && path !== "weights.safetensors";
    const rehash = path !== "manifest.json" && !code && rng.chance(0.5);
    const damage: Damage =
      path === "weights.safetensors"
        ? damageSafetensors(original, rng)
        : path.endsWith(".json")
          ? damageJson(original, rng, rehash && path.includes(".cpu.") ? ["code"] : [])
          : damageBytes(original, rng);
    const changed = new Map([[path, damage.bytes]]);
    let how = `${path}: ${damage.how}`;
    if (rehash) {
      const manifest = JSON.parse(new TextDecoder().decode(this.files.get("manifest.json")!));
      const entry = manifest.files.find((f: { path: string }) => f.path === path);
      if (entry) {
        entry.bytes = damage.bytes.length;
        entry.sha256 = sha256(damage.bytes);
        changed.set("manifest.json", new TextEncoder().encode(JSON.stringify(manifest)));
        how += " (re-hashed)";
      }
    }
    const dir = join(this.root, "work");
    for (const [p, b] of changed) writeFileSync(join(dir, p), b);
    try {
      const outcome = await outcomeOf(async () => {
        const model = await BundleModel.load(
          dir,
          device ? { device } : { backend: rng.chance(0.8) ? "cpu" : "reference" },
        );
        try {
          await model.run(BASE_INPUT);
          const stream = model.stream();
          await stream.step({ tokens: [1, 2], extra: BASE_INPUT.extra });
          stream.destroy();
        } finally {
          model.destroy();
        }
      });
      return { kind: device ? "bundles on WebGPU" : "bundles", how, outcome };
    } finally {
      for (const p of changed.keys()) writeFileSync(join(dir, p), this.files.get(p)!);
    }
  }

  /** Training data, JSON Lines or CSV, damaged as bytes or line by line as JSON. */
  data(rng: Rng): FuzzResult {
    const csv = rng.chance(0.3);
    const base = csv ? CSV : JSONL;
    let text: string;
    let how: string;
    if (!csv && rng.chance(0.6)) {
      const lines = base.split("\n");
      const i = rng.int(lines.length);
      const d = damageJsonValue(JSON.parse(lines[i]!), rng);
      lines[i] = JSON.stringify(d.value);
      text = lines.join("\n");
      how = `line ${i + 1}: ${d.how}`;
    } else {
      const d = damageBytes(new TextEncoder().encode(base), rng);
      text = new TextDecoder().decode(d.bytes);
      how = d.how;
    }
    let outcome: LoaderOutcome;
    try {
      const examples = csv
        ? parseCsv(text, DATA_INPUTS, "data.csv", VOCABULARIES)
        : parseJsonLines(text, DATA_INPUTS, "data.jsonl", VOCABULARIES);
      checkExamples(examples);
      outcome = { status: "loaded" };
    } catch (e) {
      outcome = classify(e);
    }
    return { kind: csv ? "CSV data files" : "JSON Lines data files", how, outcome };
  }

  /** A damaged input to `run` (or to a stream's step) of the loaded pristine model. */
  async input(rng: Rng): Promise<FuzzResult> {
    const { inputs, lengths, how } = damageInput(rng);
    // Admitted inputs are finite float32 values; outputs may still overflow (inputs near
    // 1e38), so only the call's ending is judged.
    const outcome = await outcomeOf(() =>
      this.model.run(inputs as Record<string, InputValue>, { lengths } as never),
    );
    return { kind: "run inputs", how, outcome };
  }

  /** Throws when the pristine bundle changed on disk or no longer gives the baseline. */
  async assertIntact(): Promise<void> {
    for (const [path, hash] of this.pristineHashes) {
      const now = sha256(readFileSync(join(this.root, "pristine", path)));
      if (now !== hash) throw new Error(`the pristine bundle's ${path} changed`);
      const work = sha256(readFileSync(join(this.root, "work", path)));
      if (work !== hash) throw new Error(`the working copy's ${path} was not restored`);
    }
    const again = await this.model.run(BASE_INPUT);
    if (!sameOutputs(this.baseline, again)) throw new Error("the loaded model's outputs changed");
    const fresh = await BundleModel.load(join(this.root, "work"), { backend: "cpu" });
    try {
      if (!sameOutputs(this.baseline, await fresh.run(BASE_INPUT)))
        throw new Error("a fresh load of the bundle gives other outputs");
    } finally {
      fresh.destroy();
    }
  }
}
