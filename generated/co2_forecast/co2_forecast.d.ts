import type {
  BackendName,
  BundleLocation,
  FloatOutput,
  InputValue,
  LoadOptions,
  RunOptions,
} from "rnnc/runtime";
/** Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`. */
export interface Co2ForecastInputs {
  /** float[B, T, 3] */
  history: InputValue;
}
export interface Co2ForecastOutputs {
  /** float[B, 1] */
  prediction: FloatOutput;
  /** float[B, 32] */
  "enc.final_state.l0.h": FloatOutput;
}
/** One step of each input: [B, ...] for each [B, T, ...] sequence input. */
export interface Co2ForecastStepInputs {
  /** float[B, 3] */
  history: InputValue;
}
export interface Co2ForecastStepOutputs {
  /** float[B, 1] */
  prediction: FloatOutput;
  /** float[B, 32] */
  "enc.final_state.l0.h": FloatOutput;
}
/** Model co2_forecast (many-to-one), compiled by rnnc 0.1.0 for at most 8 sequences, 32 steps along T. */
export declare class Co2Forecast {
  private readonly model;
  private constructor();
  /** Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU). */
  static load(location?: BundleLocation, options?: LoadOptions): Promise<Co2Forecast>;
  get backend(): BackendName;
  /** Runs whole sequences (at most 8 sequences, 32 steps along T); `options.lengths` gives each sequence's length. */
  run(inputs: Co2ForecastInputs, options?: RunOptions): Promise<Co2ForecastOutputs>;
  /** One T step at a time, the recurrent state kept by the backend between steps (on the device for WebGPU); `reset()` starts again. */
  stream(): {
    step(inputs: Co2ForecastStepInputs): Promise<Co2ForecastStepOutputs>;
    reset(): Promise<void>;
  };
  /** Frees the backend's buffers (and the device, when load acquired it). */
  destroy(): void;
}
