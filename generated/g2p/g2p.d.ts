import type {
  BackendName,
  BundleLocation,
  FloatOutput,
  InputValue,
  IntOutput,
  LoadOptions,
  RunOptions,
} from "rnnc/runtime";
/** Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`. */
export interface G2pInputs {
  /** int[B, S]: token ids in [0, 30) */
  letters: InputValue;
}
export interface G2pOutputs {
  /** int[B, 30] */
  phonemes: IntOutput;
  /** float[B, 128] */
  "enc.final_state.l0.h": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l0.c": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l0_reverse.h": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l0_reverse.c": FloatOutput;
}
/** Model g2p (encoder-decoder), compiled by rnnc 0.1.0 for at most 8 sequences, 32 steps along S. */
export declare class G2p {
  private readonly model;
  private constructor();
  /** Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU). */
  static load(location?: BundleLocation, options?: LoadOptions): Promise<G2p>;
  get backend(): BackendName;
  /** Runs whole sequences (at most 8 sequences, 32 steps along S); `options.lengths` gives each sequence's length. */
  run(inputs: G2pInputs, options?: RunOptions): Promise<G2pOutputs>;
  /** Decodes on the device, in one submission (no read-back per step). */
  generate(inputs: G2pInputs, options?: RunOptions): Promise<G2pOutputs>;
  /** Frees the backend's buffers (and the device, when load acquired it). */
  destroy(): void;
}
