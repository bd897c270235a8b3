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
import { attachKernels, parseKernels, type StoredPlan } from "./kernels.ts";
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
  const stored = parseJsonFile(await readChecked(read, manifest.files, path), path) as StoredPlan;
  if (typeof stored !== "object" || stored === null || !Array.isArray(stored.shaders))
    throw new BundleError(BUNDLE_CODES.corruptFile, `${path}: not an execution plan`);
  const plan = attachKernels(stored, kernels ?? [], path);
  checkPlan(plan, ["wgsl", "js"]);
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
  try {
    return graphFromJson(json);
  } catch (e) {
    if (e instanceof IRError)
      throw new BundleError(BUNDLE_CODES.corruptFile, `${path}: ${e.message}`);
    throw e;
  }
}
