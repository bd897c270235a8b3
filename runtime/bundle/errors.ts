/**
 * Errors of bundles (runtime/bundle/): a bundle that cannot be loaded, and inputs that do not
 * fit the loaded model. Codes are the RNN45xx block of the runtime range and are stable: add,
 * never renumber. Weights files keep their own codes (RNN41xx, runtime/weights/errors.ts) and
 * the executors theirs (RNN43xx, runtime/webgpu/plan-io.ts).
 */
export const BUNDLE_CODES = {
  /** manifest.json is missing, not JSON, not an rnnc bundle, or malformed. */
  badManifest: "RNN4501",
  /** The manifest is of another schema version than this runtime reads. */
  wrongVersion: "RNN4502",
  /** A file the manifest lists is missing or unreadable. */
  missingFile: "RNN4503",
  /** A file differs from the manifest (size or content hash), or its content is malformed. */
  corruptFile: "RNN4504",
  /** An input the model does not have. */
  unknownInput: "RNN4505",
  /** An input the model needs was not given. */
  missingInput: "RNN4506",
  /** An input of the wrong dtype (float for int token ids, ...). */
  wrongDtype: "RNN4507",
  /** An input of the wrong shape, or inputs that disagree on batch or steps. */
  wrongShape: "RNN4508",
  /** More sequences, or more steps, than the bundle's plans were built for. */
  beyondLimit: "RNN4509",
  /** Lengths that are not whole numbers in [1, steps], one per sequence. */
  badLengths: "RNN4510",
  /** A token id outside its vocabulary. */
  tokenOutOfRange: "RNN4511",
  /** The backend asked for cannot run here (no WebGPU adapter). */
  backendUnavailable: "RNN4512",
  /** The model cannot do this (stream a bidirectional encoder, ...). */
  unsupported: "RNN4513",
  /** The WebGPU device was lost (driver reset, destroy()) during or before the call. */
  deviceLost: "RNN4514",
} as const;

export type BundleCode = (typeof BUNDLE_CODES)[keyof typeof BUNDLE_CODES];

export class BundleError extends Error {
  override readonly name = "BundleError";

  constructor(
    readonly code: BundleCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
