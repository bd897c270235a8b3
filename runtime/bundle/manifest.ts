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

function checkSpecs(list: unknown, what: string): void {
  if (!Array.isArray(list)) bad(`${what} must be a list`);
  for (const s of list) {
    if (!isObject(s) || typeof s.name !== "string") bad(`${what}: an entry has no name`);
    if (s.dtype !== "float" && s.dtype !== "int") bad(`${what} '${s.name}': bad dtype`);
    if (!Array.isArray(s.shape) || s.shape[0] !== "B")
      bad(`${what} '${s.name}': shape must start with "B"`);
  }
}

/** Checks a parsed manifest.json; RNN4502 for another version, RNN4501 for anything else. */
export function validateManifest(json: unknown): Manifest {
  if (!isObject(json) || json.format !== BUNDLE_FORMAT)
    bad(`not an rnnc bundle manifest (expected "format": "${BUNDLE_FORMAT}")`);
  if (json.version !== BUNDLE_VERSION) {
    throw new BundleError(
      BUNDLE_CODES.wrongVersion,
      `manifest.json: schema version ${JSON.stringify(json.version)}; this runtime reads version ${BUNDLE_VERSION} (recompile the bundle with this rnnc: rnnc compile SPEC -o DIR)`,
    );
  }
  for (const key of ["model", "className", "glue", "weights", "kernels"])
    if (typeof json[key] !== "string") bad(`"${key}" must be a string`);
  const limits = json.limits;
  if (
    !isObject(limits) ||
    !Number.isInteger(limits.batch) ||
    (limits.batch as number) < 1 ||
    !isObject(limits.steps) ||
    Object.values(limits.steps).some((t) => !Number.isInteger(t) || (t as number) < 1)
  )
    bad(`"limits" must be {"batch": n, "steps": {"T": n, ...}}`);
  checkSpecs(json.inputs, "inputs");
  checkSpecs(json.outputs, "outputs");
  if (!Array.isArray(json.params)) bad(`"params" must be a list`);
  const backends = json.backends;
  if (!isObject(backends)) bad(`"backends" must be an object`);
  for (const name of ["webgpu", "cpu", "reference"]) {
    const b = backends[name];
    if (!isObject(b) || typeof b.run !== "string") bad(`backends.${name}.run must be a file`);
  }
  if (json.stream !== null && !(isObject(json.stream) && Array.isArray(json.stream.states)))
    bad(`"stream" must be null or {"axis", "states"}`);
  if (!Array.isArray(json.files)) bad(`"files" must be a list`);
  for (const f of json.files) {
    if (!isObject(f) || typeof f.path !== "string" || typeof f.sha256 !== "string")
      bad(`"files": each entry needs "path" and "sha256"`);
  }
  return json as unknown as Manifest;
}
