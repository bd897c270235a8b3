/**
 * `rnnc run DIR --input FILE.json [--backend webgpu|cpu|reference]`: loads a bundle written
 * by `rnnc compile` with the runtime alone and prints its outputs as JSON. Without a WebGPU
 * adapter the default backend is the CPU (with a note); `--backend webgpu` is then an error.
 */
import { BundleError, BundleModel } from "../runtime/bundle/index.ts";
import { toNested } from "../runtime/reference/tensor.ts";
import { ExecutorError } from "../runtime/webgpu/plan-io.ts";
import { WeightsError } from "../runtime/weights/errors.ts";
import type { Output } from "./check.ts";
import { UsageError, writeTextAtomic } from "./io.ts";
import { InputFileError, readInputFile, type RunCommandOptions } from "./run.ts";

const BACKENDS = ["webgpu", "cpu", "reference"] as const;

export async function runBundle(
  dir: string,
  options: RunCommandOptions,
  io: Output,
): Promise<number> {
  const backend = options.backend ?? "auto";
  if (backend !== "auto" && !(BACKENDS as readonly string[]).includes(backend))
    throw new UsageError(`--backend must be webgpu, cpu or reference, got '${backend}'`);
  for (const flag of ["weights", "precision", "mode"] as const)
    if (options[flag] !== undefined)
      throw new UsageError(`--${flag} is for running a spec; a bundle carries its own`);
  let model: BundleModel | undefined;
  try {
    const { inputs, lengths } = readInputFile(options.input);
    model = await BundleModel.load(dir, {
      backend: backend as (typeof BACKENDS)[number] | "auto",
      onNote: (note) => io.err(note),
    });
    const outputs = await model.run(inputs as never, { lengths });
    const nested = Object.fromEntries(
      Object.entries(outputs).map(([name, t]) => [name, toNested({ dtype: "float", ...t })]),
    );
    const text = `${JSON.stringify({ model: model.manifest.model, backend: model.backend, outputs: nested })}\n`;
    if (options.output) writeTextAtomic(options.output, text);
    else io.out(text.trimEnd());
    return 0;
  } catch (e) {
    if (e instanceof InputFileError) {
      io.err(`${options.input}: error ${e.code}: ${e.message}`);
      return 1;
    }
    if (e instanceof BundleError || e instanceof WeightsError || e instanceof ExecutorError) {
      io.err(`${dir}: error ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    model?.destroy();
  }
}
