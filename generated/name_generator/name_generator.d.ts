import type {
  BackendName,
  BundleLocation,
  InputValue,
  IntOutput,
  LoadOptions,
  RunOptions,
} from "rnnc/runtime";
/** Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`. */
export interface NameGeneratorInputs {
  /** int[B]: token ids in [0, 2) */
  gender: InputValue;
}
export interface NameGeneratorOutputs {
  /** int[B, 20] */
  name: IntOutput;
}
/** Model name_generator (one-to-many), compiled by rnnc 0.1.0 for at most 8 sequences. */
export declare class NameGenerator {
  private readonly model;
  private constructor();
  /** Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU). */
  static load(location?: BundleLocation, options?: LoadOptions): Promise<NameGenerator>;
  get backend(): BackendName;
  /** Runs whole sequences (at most 8 sequences); `options.lengths` gives each sequence's length. */
  run(inputs: NameGeneratorInputs, options?: RunOptions): Promise<NameGeneratorOutputs>;
  /** Decodes on the device, in one submission (no read-back per step). */
  generate(inputs: NameGeneratorInputs, options?: RunOptions): Promise<NameGeneratorOutputs>;
  /** Frees the backend's buffers (and the device, when load acquired it). */
  destroy(): void;
}
