import type {
  BackendName,
  BundleLocation,
  FloatOutput,
  InputValue,
  LoadOptions,
  RunOptions,
} from "rnnc/runtime";
/** Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`. */
export interface SpamInputs {
  /** int[B, T]: token ids in [0, 2000) */
  tokens: InputValue;
}
export interface SpamOutputs {
  /** float[B, 1] */
  prob: FloatOutput;
  /** float[B, 32] */
  "enc.final_state.l0.h": FloatOutput;
  /** float[B, 32] */
  "enc.final_state.l0.c": FloatOutput;
  /** float[B, 32] */
  "enc.final_state.l0.m": FloatOutput;
  /** float[B, 32] */
  "enc.final_state.l0_reverse.h": FloatOutput;
  /** float[B, 32] */
  "enc.final_state.l0_reverse.c": FloatOutput;
  /** float[B, 32] */
  "enc.final_state.l0_reverse.m": FloatOutput;
}
/** Model spam (many-to-one), compiled by rnnc 0.1.0 for at most 8 sequences, 32 steps along T. */
export declare class Spam {
  private readonly model;
  private constructor();
  /** Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU). */
  static load(location?: BundleLocation, options?: LoadOptions): Promise<Spam>;
  get backend(): BackendName;
  /** Runs whole sequences (at most 8 sequences, 32 steps along T); `options.lengths` gives each sequence's length. */
  run(inputs: SpamInputs, options?: RunOptions): Promise<SpamOutputs>;
  /** Frees the backend's buffers (and the device, when load acquired it). */
  destroy(): void;
}
