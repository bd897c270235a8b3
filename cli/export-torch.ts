/**
 * `rnnc export-torch SPEC --weights W.safetensors -o OUT.safetensors` (or a bundle folder with
 * `--spec`): the model's weights as a PyTorch state_dict that `load_state_dict(strict=True)`
 * accepts into the equivalent torch.nn modules, described in the file's metadata. A bundle
 * does not record which cells its encoders run (an nn.GRU and a clipped GRU have the same
 * parameters), hence the spec it was compiled from.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CheckedModel } from "../compiler/check/model.ts";
import { INTEROP_CODES, InteropError } from "../compiler/interop/errors.ts";
import { exportTorch } from "../compiler/interop/torch-export.ts";
import { BUNDLE_CODES, BundleError, validateManifest } from "../runtime/bundle/index.ts";
import { initialWeights } from "../runtime/weights/init.ts";
import { WeightsError } from "../runtime/weights/errors.ts";
import {
  readSafetensorsFileSync,
  writeSafetensorsFileSync,
} from "../runtime/weights/safetensors-file.ts";
import { formatShape, type Tensor } from "../runtime/weights/safetensors.ts";
import type { Output } from "./check.ts";
import { parseSeed } from "./compile.ts";
import { parseMap, renderInteropError } from "./interop.ts";
import { isDirectory, UsageError } from "./io.ts";
import { loadModel } from "./spec.ts";

export interface ExportTorchOptions {
  readonly output?: string;
  readonly out?: string;
  readonly weights?: string;
  readonly seed?: string;
  readonly spec?: string;
  readonly model?: string;
  readonly map?: string;
  readonly keepUnmapped?: boolean;
}

/** The bundle's manifest (model name and parameters) and the path of its weights. */
function readBundle(dir: string): {
  model: string;
  params: { name: string; shape: readonly number[] }[];
  weights: string;
} {
  let text: string;
  try {
    text = readFileSync(join(dir, "manifest.json"), "utf8");
  } catch {
    throw new UsageError(
      `'${dir}' is a folder without manifest.json: not a bundle (rnnc compile writes one)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BundleError(
      BUNDLE_CODES.badManifest,
      `manifest.json: not JSON (${(e as Error).message})`,
    );
  }
  const manifest = validateManifest(json);
  return {
    model: manifest.model,
    params: [...manifest.params],
    weights: join(dir, manifest.weights),
  };
}

/** The bundle's parameters must be the spec's model's, name by name and shape by shape. */
function checkSameParams(
  model: CheckedModel,
  bundle: ReturnType<typeof readBundle>,
  dir: string,
): void {
  const want = new Map(model.params.map((p) => [p.name, p.shape]));
  const got = new Map(bundle.params.map((p) => [p.name, p.shape]));
  const lines = [
    ...[...want]
      .filter(([n]) => !got.has(n))
      .map(([n, s]) => `${n} ${formatShape(s)}: the spec's, not in the bundle`),
    ...[...got]
      .filter(([n]) => !want.has(n))
      .map(([n, s]) => `${n} ${formatShape(s)}: the bundle's, not in the spec`),
    ...[...want]
      .filter(([n, s]) => got.has(n) && got.get(n)!.join() !== s.join())
      .map(
        ([n, s]) => `${n}: the spec's ${formatShape(s)}, the bundle's ${formatShape(got.get(n)!)}`,
      ),
  ];
  if (lines.length > 0)
    throw new InteropError(INTEROP_CODES.bundleMismatch, [
      {
        message: `the bundle ${dir} is not of model '${model.name}' of this spec`,
        details: lines,
        help: "give --spec the file the bundle was compiled from",
      },
    ]);
}

export function runExportTorch(target: string, options: ExportTorchOptions, io: Output): number {
  const out = options.output ?? options.out;
  if (!out) throw new UsageError("export-torch needs -o FILE.safetensors, the state_dict to write");
  const map = parseMap(options.map);
  const bundle = isDirectory(target);
  if (bundle && !options.spec)
    throw new UsageError(
      `${target} is a bundle: name the spec it was compiled from with --spec (a bundle does not record which cells its encoders run)`,
    );
  if (bundle && (options.weights || options.seed !== undefined))
    throw new UsageError("a bundle carries its weights: --weights and --seed are for a spec");
  if (!bundle && options.spec) throw new UsageError("--spec is for a bundle folder");
  if (!bundle && !options.weights && options.seed === undefined)
    throw new UsageError(
      "export-torch SPEC needs --weights FILE.safetensors (or --seed N for initial weights)",
    );
  const spec = options.spec ?? target;
  const from = bundle ? target : (options.weights ?? spec);
  try {
    const manifest = bundle ? readBundle(target) : undefined;
    const model = loadModel(spec, options.model ?? manifest?.model, io);
    if (!model) return 1;
    if (manifest) checkSameParams(model, manifest, target);
    let weights: ReadonlyMap<string, Tensor>;
    if (manifest) weights = readSafetensorsFileSync(manifest.weights).tensors;
    else if (options.weights) weights = readSafetensorsFileSync(options.weights).tensors;
    else weights = initialWeights(model.params, parseSeed(options.seed));
    const result = exportTorch(model, weights, { map, keepUnmapped: options.keepUnmapped });
    writeSafetensorsFileSync(out, result.stateDict, result.metadata);
    const modules = result.modules.map((m) => `${m.name} (nn.${m.module})`).join(", ");
    const kept = result.kept.length > 0 ? `; ${result.kept.length} under rnnc names` : "";
    io.err(
      `wrote ${out}: state_dict of model ${model.name}, ${result.stateDict.size} tensors: ${modules || "no torch.nn modules"}${kept}`,
    );
    return 0;
  } catch (e) {
    if (e instanceof InteropError) {
      for (const block of renderInteropError(e, spec, from)) io.err(block);
      return 1;
    }
    if (e instanceof WeightsError || e instanceof BundleError) {
      io.err(`${from}: error ${e.message}`);
      return 1;
    }
    throw e;
  }
}
