/** `rnnc init SPEC --output W.safetensors`: initial weights from a seed, as PyTorch would draw them. */
import { initialWeights } from "../runtime/weights/init.ts";
import { writeSafetensorsFileSync } from "../runtime/weights/safetensors-file.ts";
import type { Output } from "./check.ts";
import { UsageError } from "./io.ts";
import { loadModel } from "./spec.ts";

export interface InitOptions {
  readonly output: string;
  readonly seed?: string;
  readonly model?: string;
  readonly dtype?: string;
}

export function runInit(spec: string, options: InitOptions, io: Output): number {
  const seed = options.seed === undefined ? 0 : Number(options.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new UsageError(`--seed must be a whole number below 2^32, got '${options.seed}'`);
  const dtype = (options.dtype ?? "float32").toLowerCase();
  if (dtype !== "float32" && dtype !== "float64")
    throw new UsageError(`--dtype must be float32 or float64, got '${options.dtype}'`);
  const model = loadModel(spec, options.model, io);
  if (!model) return 1;
  const weights = initialWeights(model.params, seed, dtype === "float32" ? "F32" : "F64");
  writeSafetensorsFileSync(options.output, weights, {
    model: model.name,
    seed: String(seed),
    generator: "rnnc init",
  });
  const total = model.params.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
  io.err(
    `wrote ${options.output}: ${model.params.length} tensors, ${total.toLocaleString("en-US")} ${dtype} parameters of model ${model.name} (seed ${seed})`,
  );
  return 0;
}
