/**
 * Loading a bundle's parts with the runtime alone: the manifest (validated first), the
 * weights (parsed, matched against the parameter table, checked against the manifest's hash),
 * and each backend's plan or graph. Every failure is one BundleError (RNN45xx) or WeightsError
 * (RNN41xx) that names the file.
 */
import { graphFromJson, type LoadedGraph } from "../ir/serialise.ts";
import { IRError } from "../ir/node.ts";
import { checkPlan } from "../webgpu/plan-io.ts";
import type { Plan } from "../webgpu/plan.ts";
import { assertWeights } from "../weights/check.ts";
import { readSafetensors, type Tensor as StoredTensor } from "../weights/safetensors.ts";
import { BUNDLE_CODES, BundleError } from "./errors.ts";
import {
  parseJsonFile,
  readBundleFile,
  readChecked,
  verifyFile,
  type FileReader,
} from "./files.ts";
import { attachKernels, parseKernels } from "./kernels.ts";
import { checkStoredPlan } from "./plan-schema.ts";
import { validateManifest, type Manifest } from "./manifest.ts";

export async function loadManifest(read: FileReader): Promise<Manifest> {
  let bytes: Uint8Array;
  try {
    bytes = await read("manifest.json");
  } catch {
    throw new BundleError(
      BUNDLE_CODES.badManifest,
      "no manifest.json: this is not an rnnc bundle folder (write one with rnnc compile SPEC -o DIR)",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new BundleError(
      BUNDLE_CODES.badManifest,
      `manifest.json: not valid JSON (${(e as Error).message})`,
    );
  }
  return validateManifest(json);
}

/** The weights, checked: a readable safetensors file, the model's parameters, the manifest's hash. */
export async function loadWeights(
  read: FileReader,
  manifest: Manifest,
): Promise<Map<string, StoredTensor>> {
  const path = manifest.weights;
  const bytes = await readBundleFile(read, path);
  const tensors = readSafetensors(bytes, path).tensors;
  assertWeights(manifest.params, tensors, {
    context: `${path} does not fit model '${manifest.model}'`,
  });
  await verifyFile(manifest.files, path, bytes);
  return tensors;
}

/**
 * A plan file with its kernels put back (kernels.wgsl for WebGPU; the CPU plan holds the code
 * of its generated JavaScript kernels and needs no other). Each executor checks the shader
 * languages it runs when it is created.
 */
export async function loadPlan(
  read: FileReader,
  manifest: Manifest,
  path: string,
  kernels: readonly string[] | undefined,
): Promise<Plan> {
  const stored = parseJsonFile(await readChecked(read, manifest.files, path), path);
  checkStoredPlan(stored, path);
  const plan = attachKernels(stored, kernels ?? [], path);
  checkPlan(plan, ["wgsl", "js"]);
  const shapes = (table: Plan["outputs"]) =>
    new Map(Object.entries(table).map(([name, t]) => [name, t.shape]));
  checkAgreement(manifest, path, shapes(plan.inputs), shapes(plan.outputs), shapes(plan.params));
  return plan;
}

export async function loadKernels(read: FileReader, manifest: Manifest): Promise<string[]> {
  const bytes = await readChecked(read, manifest.files, manifest.kernels);
  return parseKernels(new TextDecoder().decode(bytes), manifest.kernels);
}

export async function loadGraph(
  read: FileReader,
  manifest: Manifest,
  path: string,
): Promise<LoadedGraph> {
  const json = parseJsonFile(await readChecked(read, manifest.files, path), path);
  let graph: LoadedGraph;
  try {
    graph = graphFromJson(json);
  } catch (e) {
    // graphFromJson only reads the value: whatever it throws, the file is not a graph.
    const why = e instanceof IRError ? e.message : `not a graph (${(e as Error).message})`;
    throw new BundleError(BUNDLE_CODES.corruptFile, `${path}: ${why}`);
  }
  const shapes = (table: ReadonlyMap<string, { shape: readonly number[] }>) =>
    new Map([...table].map(([name, n]) => [name, n.shape]));
  checkAgreement(manifest, path, shapes(graph.inputs), shapes(graph.outputs), shapes(graph.params));
  return graph;
}

/**
 * The plans and graphs were built for the manifest's limits, inputs and outputs; a manifest
 * edited since (or a file re-hashed into it) would make the runtime pad inputs to one shape
 * and run a plan of another, or a plan read a parameter the weights lack. RNN4504 names the
 * first disagreement.
 */
function checkAgreement(
  manifest: Manifest,
  path: string,
  inputs: ReadonlyMap<string, readonly number[]>,
  outputs: ReadonlyMap<string, readonly number[]>,
  params: ReadonlyMap<string, readonly number[]>,
): void {
  const step = Object.values(manifest.backends).some((b) => b.step === path);
  const { batch, steps } = manifest.limits;
  const disagree = (what: string): never => {
    throw new BundleError(
      BUNDLE_CODES.corruptFile,
      `${path}: ${what} disagrees with manifest.json (rebuild the bundle with rnnc compile)`,
    );
  };
  for (const spec of manifest.inputs) {
    const dims = spec.shape.slice(spec.time === undefined ? 1 : 2);
    const time = spec.time === undefined ? [] : [step ? 1 : steps[spec.time]!];
    const want = [batch, ...time, ...dims];
    const got = inputs.get(spec.name);
    if (got && (got.length !== want.length || got.some((d, i) => d !== want[i])))
      disagree(`input '${spec.name}' [${got.join(", ")}] (the manifest: [${want.join(", ")}])`);
  }
  for (const spec of manifest.outputs)
    if (outputs.get(spec.name)?.[0] !== batch) disagree(`output '${spec.name}'`);
  const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  for (const [name, shape] of params) {
    const declared = manifest.params.find((p) => p.name === name);
    if (!declared || count(declared.shape) !== count(shape)) disagree(`param '${name}'`);
  }
}
