import type {
  BackendName,
  BundleLocation,
  FloatOutput,
  InputValue,
  LoadOptions,
  RunOptions,
} from "rnnc/runtime";
/** Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`. */
export interface TextbookLstmInputs {
  /** float[B, T, 10] */
  x: InputValue;
}
export interface TextbookLstmOutputs {
  /** float[B, 5] */
  prediction: FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l0.h": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l0.c": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l1.h": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l1.c": FloatOutput;
}
/** One step of each input: [B, ...] for each [B, T, ...] sequence input. */
export interface TextbookLstmStepInputs {
  /** float[B, 10] */
  x: InputValue;
}
export interface TextbookLstmStepOutputs {
  /** float[B, 5] */
  prediction: FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l0.h": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l0.c": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l1.h": FloatOutput;
  /** float[B, 128] */
  "enc.final_state.l1.c": FloatOutput;
}
/** Model textbook_lstm (many-to-one), compiled by rnnc 0.1.0 for at most 8 sequences, 32 steps along T. */
export declare class TextbookLstm {
  private readonly model;
  private constructor();
  /** Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU). */
  static load(location?: BundleLocation, options?: LoadOptions): Promise<TextbookLstm>;
  get backend(): BackendName;
  /** Runs whole sequences (at most 8 sequences, 32 steps along T); `options.lengths` gives each sequence's length. */
  run(inputs: TextbookLstmInputs, options?: RunOptions): Promise<TextbookLstmOutputs>;
  /** One T step at a time, the recurrent state kept by the backend between steps (on the device for WebGPU); `reset()` starts again. */
  stream(): {
    step(inputs: TextbookLstmStepInputs): Promise<TextbookLstmStepOutputs>;
    reset(): Promise<void>;
  };
  /** Frees the backend's buffers (and the device, when load acquired it). */
  destroy(): void;
}
