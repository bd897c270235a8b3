/**
 * The bundle runtime: load a folder written by `rnnc compile` and run it on WebGPU, the CPU
 * or the reference interpreter. This is what generated glue imports (as "rnnc/runtime").
 */
export {
  BundleModel,
  BundleStream,
  type FloatOutput,
  type Inputs,
  type IntOutput,
  type LoadOptions,
  type Outputs,
  type RunOptions,
} from "./model.ts";
export type { BackendName, EngineOutput } from "./engines.ts";
export { BUNDLE_CODES, BundleError, type BundleCode } from "./errors.ts";
export type { InputValue } from "./feeds.ts";
export type { BundleLocation } from "./files.ts";
export {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  validateManifest,
  type Manifest,
  type TensorSpec,
} from "./manifest.ts";
