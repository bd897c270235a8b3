/**
 * A bundle's manifest.json, schema version 1 (docs/bundles.md): what the model takes and
 * gives, the limits its plans were built for, its parameters, the files of each backend and
 * of streaming, and each file's size and SHA-256. The compiler writes it
 * (compiler/bundle/manifest.ts); `validateManifest` checks one read from disk before anything
 * else is loaded, so a bundle of another version or a hand-edited one fails with RNN4501/4502.
 */
import { BUNDLE_CODES, BundleError } from "./errors.ts";

export const BUNDLE_FORMAT = "rnnc-bundle";
export const BUNDLE_VERSION = 1;

export type Dim = number | string;

export interface TensorSpec {
  readonly name: string;
  readonly dtype: "float" | "int";
  /** Symbolic: "B" for the batch, the time axis by its name (e.g. "T"), then sizes. */
  readonly shape: readonly Dim[];
  /** The time axis, when the tensor is a sequence. */
  readonly time?: string;
  /** For token ids: the vocabulary size they index. */
  readonly vocab?: number;
}

export interface BackendFiles {
  /** The whole-sequence plan (webgpu, cpu) or graph (reference). */
  readonly run: string;
  /** The one-step plan or graph of streaming, when the model streams. */
  readonly step?: string;
}

export interface StreamState {
  /** The step plan's input holding the state, e.g. "enc.initial_state.l0.h". */
  readonly input: string;
  /** The step plan's output that becomes it, e.g. "enc.final_state.l0.h". */
  readonly output: string;
  readonly size: number;
}

export interface FileEntry {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: typeof BUNDLE_VERSION;
  /** The rnnc version that wrote it. */
  readonly rnnc: string;
  readonly model: string;
  /** The glue's class name and file stem. */
  readonly className: string;
  readonly glue: string;
  readonly topologies: readonly string[];
  /** What the plans were built for: at most `batch` sequences of at most `steps[axis]` steps. */
  readonly limits: { readonly batch: number; readonly steps: Readonly<Record<string, number>> };
  readonly inputs: readonly TensorSpec[];
  /** Outputs, then every encoder's final states. */
  readonly outputs: readonly TensorSpec[];
  readonly params: readonly { readonly name: string; readonly shape: readonly number[] }[];
  /** Initialisation seed of the weights, or null when they were imported. */
  readonly seed: number | null;
  readonly weights: string;
  readonly kernels: string;
  readonly backends: {
    readonly webgpu: BackendFiles;
    readonly cpu: BackendFiles;
    readonly reference: BackendFiles;
  };
  /** How the model streams (one step at a time), or null when it cannot. */
  readonly stream: { readonly axis: string; readonly states: readonly StreamState[] } | null;
  /** Whether `generate` applies (one-to-many and encoder-decoder models). */
  readonly generates: boolean;
  /** Every other file of the bundle, sorted by path. */
  readonly files: readonly FileEntry[];
}

function bad(message: string): never {
  throw new BundleError(BUNDLE_CODES.badManifest, `manifest.json: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Bounds on what a manifest may ask of the runtime, so that a damaged or hostile one is
 * refused before anything is allocated for it: the limits of `rnnc compile --batch/--steps`,
 * and rnnc's largest size (compiler/check/limits.ts).
 */
const MAX = { batch: 65_536, steps: 100_000, size: 2 ** 24 } as const;

function isCount(v: unknown, min: number, max: number): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
}

/** A file of the bundle: a relative path below its folder (no '..', no URL, no root). */
function checkPath(v: unknown, what: string): void {
  if (
    typeof v !== "string" ||
    !/^[\w.-]+(\/[\w.-]+)*$/.test(v) ||
    v.split("/").some((part) => part === "." || part === "..")
  )
    bad(`${what} must be a file name inside the bundle, got ${JSON.stringify(v)?.slice(0, 80)}`);
}

function checkNames(list: readonly { name: string }[], what: string): void {
  const seen = new Set<string>();
  for (const { name } of list) {
    if (seen.has(name)) bad(`${what}: '${name}' is listed twice`);
    seen.add(name);
  }
}

function checkSpecs(list: unknown, what: string, axes: Record<string, unknown>): void {
  if (!Array.isArray(list)) bad(`${what} must be a list`);
  for (const s of list) {
    if (!isObject(s) || typeof s.name !== "string") bad(`${what}: an entry has no name`);
    const where = `${what} '${s.name}'`;
    if (s.dtype !== "float" && s.dtype !== "int") bad(`${where}: bad dtype`);
    if (!Array.isArray(s.shape) || s.shape[0] !== "B") bad(`${where}: shape must start with "B"`);
    if (s.time !== undefined && (typeof s.time !== "string" || !Object.hasOwn(axes, s.time)))
      bad(`${where}: time axis ${JSON.stringify(s.time)} is not one of the limits' axes`);
    const dims = s.shape.slice(s.time === undefined ? 1 : 2);
    if (s.time !== undefined && s.shape[1] !== s.time)
      bad(`${where}: shape must be ["B", "${s.time}", ...sizes]`);
    if (!dims.every((d) => isCount(d, 1, MAX.size)))
      bad(`${where}: sizes must be whole numbers from 1 to ${MAX.size}`);
    if (s.vocab !== undefined && !isCount(s.vocab, 1, MAX.size))
      bad(`${where}: vocab must be a whole number from 1 to ${MAX.size}`);
  }
  checkNames(list as { name: string }[], what);
}

function checkParams(list: unknown): void {
  if (!Array.isArray(list)) bad(`"params" must be a list`);
  for (const p of list)
    if (
      !isObject(p) ||
      typeof p.name !== "string" ||
      !Array.isArray(p.shape) ||
      !p.shape.every((d) => isCount(d, 0, MAX.size))
    )
      bad(`"params": each entry needs a "name" and a "shape" of whole numbers`);
  checkNames(list as { name: string }[], `"params"`);
}

function checkStream(stream: unknown, axes: Record<string, unknown>): void {
  if (stream === null) return;
  if (
    !isObject(stream) ||
    typeof stream.axis !== "string" ||
    !Object.hasOwn(axes, stream.axis) ||
    !Array.isArray(stream.states) ||
    !stream.states.every(
      (s) =>
        isObject(s) &&
        typeof s.input === "string" &&
        typeof s.output === "string" &&
        isCount(s.size, 1, MAX.size),
    )
  )
    bad(`"stream" must be null or {"axis", "states": [{"input", "output", "size"}]}`);
}

/** Checks a parsed manifest.json; RNN4502 for another version, RNN4501 for anything else. */
export function validateManifest(json: unknown): Manifest {
  if (!isObject(json) || json.format !== BUNDLE_FORMAT)
    bad(`not an rnnc bundle manifest (expected "format": "${BUNDLE_FORMAT}")`);
  if (json.version !== BUNDLE_VERSION) {
    throw new BundleError(
      BUNDLE_CODES.wrongVersion,
      `manifest.json: schema version ${JSON.stringify(json.version)?.slice(0, 40)}; this runtime reads version ${BUNDLE_VERSION} (recompile the bundle with this rnnc: rnnc compile SPEC -o DIR)`,
    );
  }
  for (const key of ["rnnc", "model", "className", "glue"])
    if (typeof json[key] !== "string") bad(`"${key}" must be a string`);
  checkPath(json.weights, `"weights"`);
  checkPath(json.kernels, `"kernels"`);
  if (!Array.isArray(json.topologies) || !json.topologies.every((t) => typeof t === "string"))
    bad(`"topologies" must be a list of names`);
  const limits = json.limits;
  if (
    !isObject(limits) ||
    !isCount(limits.batch, 1, MAX.batch) ||
    !isObject(limits.steps) ||
    !Object.values(limits.steps).every((t) => isCount(t, 1, MAX.steps))
  )
    bad(
      `"limits" must be {"batch": n, "steps": {"T": n, ...}}, at most ${MAX.batch} sequences and ${MAX.steps} steps`,
    );
  checkSpecs(json.inputs, "inputs", limits.steps);
  checkSpecs(json.outputs, "outputs", limits.steps);
  checkParams(json.params);
  if (json.seed !== null && !Number.isSafeInteger(json.seed))
    bad(`"seed" must be a number or null`);
  const backends = json.backends;
  if (!isObject(backends)) bad(`"backends" must be an object`);
  for (const name of ["webgpu", "cpu", "reference"]) {
    const b = backends[name];
    if (!isObject(b)) bad(`backends.${name} must be {"run": file}`);
    checkPath(b.run, `backends.${name}.run`);
    if (b.step !== undefined) checkPath(b.step, `backends.${name}.step`);
  }
  checkStream(json.stream, limits.steps);
  if (typeof json.generates !== "boolean") bad(`"generates" must be true or false`);
  if (!Array.isArray(json.files)) bad(`"files" must be a list`);
  for (const f of json.files) {
    if (
      !isObject(f) ||
      typeof f.sha256 !== "string" ||
      !/^[0-9a-f]{64}$/.test(f.sha256) ||
      !isCount(f.bytes, 0, Number.MAX_SAFE_INTEGER)
    )
      bad(`"files": each entry needs "path", "bytes" and "sha256"`);
    checkPath(f.path, `"files" path`);
  }
  return json as unknown as Manifest;
}
