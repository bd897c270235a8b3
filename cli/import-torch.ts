/**
 * `rnnc import-torch SPEC --state-dict FILE.safetensors -o DIR`: a PyTorch state_dict (saved
 * as safetensors) becomes the weights of the spec's model, and the model's bundle is written
 * with them (as `rnnc compile --weights` would, atomically). Every tensor that is missing, that
 * no module of the spec claims, or that has the wrong shape is reported, by name, at once.
 */
import { bundleFiles, writeBundleDir } from "../compiler/bundle/write.ts";
import { InteropError } from "../compiler/interop/errors.ts";
import { importTorch } from "../compiler/interop/torch-import.ts";
import { WeightsError } from "../runtime/weights/errors.ts";
import { readSafetensorsFileSync } from "../runtime/weights/safetensors-file.ts";
import type { Output } from "./check.ts";
import { bundleLimits, formatLimits, parseSeed } from "./compile.ts";
import { parseMap, renderInteropError } from "./interop.ts";
import { UsageError } from "./io.ts";
import { loadModel } from "./spec.ts";

export interface ImportTorchOptions {
  readonly stateDict: string;
  readonly output?: string;
  readonly out?: string;
  readonly model?: string;
  readonly map?: string;
  readonly batch?: string;
  readonly steps?: string;
  readonly seed?: string;
}

export async function runImportTorch(
  spec: string,
  options: ImportTorchOptions,
  io: Output,
): Promise<number> {
  const dir = options.output ?? options.out;
  if (!dir) throw new UsageError("import-torch needs -o DIR, the bundle folder to write");
  const map = parseMap(options.map);
  const seed = parseSeed(options.seed);
  const model = loadModel(spec, options.model, io);
  if (!model) return 1;
  const limits = bundleLimits(model, options);
  try {
    const { tensors } = readSafetensorsFileSync(options.stateDict);
    const imported = importTorch(model, tensors, { map });
    for (const m of imported.modules)
      io.err(
        `${m.torch || "(root)"} → ${m.module.label} (${m.by === "--map" ? "--map" : `by ${m.by}`})`,
      );
    if (imported.byName.length > 0)
      io.err(`${imported.byName.length} tensors taken under their rnnc names`);
    const files = await bundleFiles(model, {
      limits,
      seed,
      weights: imported.weights,
      source: spec,
    });
    writeBundleDir(dir, files);
  } catch (e) {
    if (e instanceof InteropError) {
      for (const block of renderInteropError(e, spec, options.stateDict)) io.err(block);
      return 1;
    }
    if (e instanceof WeightsError) {
      io.err(`${options.stateDict}: error ${e.message}`);
      return 1;
    }
    throw e;
  }
  io.err(
    `wrote ${dir}: bundle of model ${model.name} with the weights of ${options.stateDict} (limits: ${formatLimits(limits)})`,
  );
  return 0;
}
