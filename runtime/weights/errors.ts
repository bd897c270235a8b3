/**
 * Errors of the weights layer (safetensors files, PyTorch name mapping, matching a model's
 * parameter table). Codes are in the RNN41xx block of the runtime range (RNN4xxx) and are
 * stable: add, never renumber.
 */
export const WEIGHTS_CODES = {
  /** Not a safetensors file: too short, header length out of range, header not JSON. */
  badFile: "RNN4101",
  /** A tensor entry of the header is malformed: dtype, shape or data_offsets. */
  badEntry: "RNN4102",
  /** The data section is not exactly covered by the tensors: out of bounds, overlap, gap. */
  badLayout: "RNN4103",
  /** A tensor handed to the writer is inconsistent (data length, array type, name). */
  badTensor: "RNN4104",
  /** A parameter the model needs is not in the weights. */
  missing: "RNN4105",
  /** The weights hold a tensor the model has no parameter for. */
  unexpected: "RNN4106",
  /** A tensor has the wrong shape. */
  wrongShape: "RNN4107",
  /** A tensor has the wrong dtype. */
  wrongDtype: "RNN4108",
  /** PyTorch names: a tensor no module claims, or a module description that cannot hold. */
  unmapped: "RNN4109",
  /** A file could not be read or written. */
  io: "RNN4110",
  /** A weight is NaN or infinite (a diverged run, a damaged file). */
  nonFinite: "RNN4111",
} as const;

export type WeightsCode = (typeof WEIGHTS_CODES)[keyof typeof WEIGHTS_CODES];

/**
 * One clear error: `code`, a message whose first line says what is wrong, and, when several
 * things are wrong at once, one line per problem (`problems`, also in the message).
 */
export class WeightsError extends Error {
  override readonly name = "WeightsError";

  constructor(
    readonly code: WeightsCode,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(`${code}: ${message}`);
  }
}
