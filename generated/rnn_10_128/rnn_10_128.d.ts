import type {
  BackendName,
  BundleLocation,
  FloatOutput,
  InputValue,
  LoadOptions,
  RunOptions,
} from "rnnc/runtime";
/** Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`. */
export interface Rnn10128Inputs {
  /** float[B, T, 10] */
  x: InputValue;
}
export interface Rnn10128Outputs {
  /** float[B, 128] */
  h: FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l0.h": FloatOutput;
}
/** One step of each input: [B, ...] for each [B, T, ...] sequence input. */
export interface Rnn10128StepInputs {
  /** float[B, 10] */
  x: InputValue;
}
export interface Rnn10128StepOutputs {
  /** float[B, 128] */
  h: FloatOutput;
  /** float[B, 128] */
  "h.encode.final_state.l0.h": FloatOutput;
}
/** Model rnn_10_128 (many-to-one), compiled by rnnc 0.1.0 for at most 8 sequences, 32 steps along T. */
export declare class Rnn10128 {
  private readonly model;
  private constructor();
  /** Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU). */
  static load(location?: BundleLocation, options?: LoadOptions): Promise<Rnn10128>;
  get backend(): BackendName;
  /** Runs whole sequences (at most 8 sequences, 32 steps along T); `options.lengths` gives each sequence's length. */
  run(inputs: Rnn10128Inputs, options?: RunOptions): Promise<Rnn10128Outputs>;
  /** One T step at a time, the recurrent state kept by the backend between steps (on the device for WebGPU); `reset()` starts again. */
  stream(): {
    step(inputs: Rnn10128StepInputs): Promise<Rnn10128StepOutputs>;
    reset(): Promise<void>;
  };
  /** Frees the backend's buffers (and the device, when load acquired it). */
  destroy(): void;
}
