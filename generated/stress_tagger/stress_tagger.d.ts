import type {
  BackendName,
  BundleLocation,
  FloatOutput,
  InputValue,
  LoadOptions,
  RunOptions,
} from "rnnc/runtime";
/** Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`. */
export interface StressTaggerInputs {
  /** int[B, T]: token ids in [0, 40) */
  phonemes: InputValue;
}
export interface StressTaggerOutputs {
  /** float[B, T, 4] */
  logits: FloatOutput;
  /** float[B, 64] */
  "enc.final_state.l0.h": FloatOutput;
  /** float[B, 64] */
  "enc.final_state.l0_reverse.h": FloatOutput;
  /** float[B, 64] */
  "enc.final_state.l1.h": FloatOutput;
  /** float[B, 64] */
  "enc.final_state.l1_reverse.h": FloatOutput;
}
/** Model stress_tagger (many-to-many), compiled by rnnc 0.1.0 for at most 8 sequences, 32 steps along T. */
export declare class StressTagger {
  private readonly model;
  private constructor();
  /** Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU). */
  static load(location?: BundleLocation, options?: LoadOptions): Promise<StressTagger>;
  get backend(): BackendName;
  /** Runs whole sequences (at most 8 sequences, 32 steps along T); `options.lengths` gives each sequence's length. */
  run(inputs: StressTaggerInputs, options?: RunOptions): Promise<StressTaggerOutputs>;
  /** Frees the backend's buffers (and the device, when load acquired it). */
  destroy(): void;
}
