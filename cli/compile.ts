/**
 * `rnnc compile SPEC -o DIR`: writes the bundle of a model (manifest, plans, kernels.wgsl,
 * graph, weights, typed glue) atomically: DIR is replaced only when everything was built.
 */
import { bundleFiles, writeBundleDir } from "../compiler/bundle/write.ts";
import { WeightsError } from "../runtime/weights/errors.ts";
import { readSafetensorsFileSync } from "../runtime/weights/safetensors-file.ts";
import type { Output } from "./check.ts";
import { UsageError } from "./io.ts";
import { loadModel } from "./spec.ts";
import type { CheckedModel } from "../compiler/check/model.ts";

export interface CompileOptions {
  readonly output: string;
  readonly model?: string;
  readonly batch?: string;
  readonly steps?: string;
  readonly weights?: string;
  readonly seed?: string;
}

function wholeNumber(flag: string, text: string | undefined, fallback: number, max = 1e6): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, got '${text}'`);
  return n;
}

/** `T=100,S=20` → { T: 100, S: 20 }. */
function parseSteps(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (text ?? "").split(",").filter(Boolean)) {
    const [axis, value] = part.split("=");
    if (!axis || value === undefined)
      throw new UsageError(`--steps takes AXIS=N pairs, e.g. T=100,S=20; got '${part}'`);
    out[axis.trim()] = wholeNumber(`--steps ${axis}`, value.trim(), 1, 100_000);
  }
  return out;
}

export const DEFAULT_LIMITS = { batch: 8, steps: 32 } as const;

export interface LimitOptions {
  readonly batch?: string;
  readonly steps?: string;
  readonly seed?: string;
}

/** The seed of `--seed` (default 0). */
export function parseSeed(text: string | undefined): number {
  const seed = text === undefined ? 0 : Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new UsageError(`--seed must be a whole number below 2^32, got '${text}'`);
  return seed;
}

/** The limits `--batch` and `--steps` give a bundle of `model` (defaults for what is unsaid). */
export function bundleLimits(
  model: CheckedModel,
  options: LimitOptions,
): { batch: number; steps: Record<string, number> } {
  const batch = wholeNumber("--batch", options.batch, DEFAULT_LIMITS.batch, 65_536);
  const given = parseSteps(options.steps);
  const axes = [
    ...new Set(model.inputs.filter((i) => !i.training && i.type.time).map((i) => i.type.time!)),
  ];
  for (const axis of Object.keys(given))
    if (!axes.includes(axis))
      throw new UsageError(
        `--steps ${axis}: model ${model.name} has no input along ${axis} (its time axes: ${axes.join(", ") || "none"})`,
      );
  return {
    batch,
    steps: Object.fromEntries(axes.map((a) => [a, given[a] ?? DEFAULT_LIMITS.steps])),
  };
}

/** "batch 8, T 32" */
export function formatLimits(limits: { batch: number; steps: Record<string, number> }): string {
  return [
    `batch ${limits.batch}`,
    ...Object.entries(limits.steps).map(([a, n]) => `${a} ${n}`),
  ].join(", ");
}

export async function runCompile(
  spec: string,
  options: CompileOptions,
  io: Output,
): Promise<number> {
  parseSteps(options.steps);
  wholeNumber("--batch", options.batch, DEFAULT_LIMITS.batch, 65_536);
  const seed = parseSeed(options.seed);
  const model = loadModel(spec, options.model, io);
  if (!model) return 1;
  const { batch, steps } = bundleLimits(model, options);
  try {
    const weights = options.weights ? readSafetensorsFileSync(options.weights).tensors : undefined;
    const files = await bundleFiles(model, {
      limits: { batch, steps },
      seed,
      weights,
      source: spec,
    });
    writeBundleDir(options.output, files);
  } catch (e) {
    if (e instanceof WeightsError) {
      io.err(`${options.weights}: error ${e.message}`);
      return 1;
    }
    throw e;
  }
  io.err(
    `wrote ${options.output}: bundle of model ${model.name} (limits: ${formatLimits({ batch, steps })})`,
  );
  return 0;
}
