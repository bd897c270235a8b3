import type {
  BackendName,
  BundleLocation,
  FloatOutput,
  InputValue,
  LoadOptions,
  RunOptions,
} from "rnnc/runtime";
/** Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`. */
export interface Bilstm2x10128Inputs {
  /** float[B, T, 10] */
  x: InputValue;
}
export interface Bilstm2x10128Outputs {
  /** float[B, 256] */
  h: FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l0.h": FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l0.c": FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l0_reverse.h": FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l0_reverse.c": FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l1.h": FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l1.c": FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l1_reverse.h": FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l1_reverse.c": FloatOutput;
}
/** Model bilstm_2x_10_128 (many-to-one), compiled by rnnc 0.1.0 for at most 8 sequences, 32 steps along T. */
export declare class Bilstm2x10128 {
  private readonly model;
  private constructor();
  /** Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU). */
  static load(location?: BundleLocation, options?: LoadOptions): Promise<Bilstm2x10128>;
  get backend(): BackendName;
  /** Runs whole sequences (at most 8 sequences, 32 steps along T); `options.lengths` gives each sequence's length. */
  run(inputs: Bilstm2x10128Inputs, options?: RunOptions): Promise<Bilstm2x10128Outputs>;
  /** Frees the backend's buffers (and the device, when load acquired it). */
  destroy(): void;
}
