/**
 * Errors of moving weights between rnnc and other frameworks (compiler/interop/). Codes are
 * the RNN46xx block of the runtime-and-bundle range and are stable: add, never renumber.
 * Reading the files themselves keeps the weights layer's codes (RNN41xx).
 *
 * One error carries every problem at once. A problem that belongs to a place in the spec (the
 * `encode(...)` whose tensors are wrong) has that place's span; the rest (tensors no module of
 * the spec claims) have none.
 */
import type { Span } from "../../dsl/ast.ts";

export const INTEROP_CODES = {
  /** import-torch: tensors missing, unclaimed by the spec's modules, or of the wrong shape or dtype. */
  stateDict: "RNN4601",
  /** export-torch: parameters no torch.nn module holds (custom cells, decoders, ...). */
  noTorchModule: "RNN4602",
  /** export-torch from a bundle: the bundle's parameters are not those of the spec's model. */
  bundleMismatch: "RNN4603",
  /** --map names a torch module or an rnnc binding that does not exist. */
  badMap: "RNN4604",
} as const;

export type InteropCode = (typeof INTEROP_CODES)[keyof typeof INTEROP_CODES];

export interface InteropProblem {
  /** What is wrong, one line. */
  readonly message: string;
  /** The spec's place it is about (an `encode(...)`, a `linear(...)`), when there is one. */
  readonly span?: Span;
  /** One line per tensor, under the message. */
  readonly details?: readonly string[];
  readonly help?: string;
}

export class InteropError extends Error {
  override readonly name = "InteropError";

  constructor(
    readonly code: InteropCode,
    readonly problems: readonly InteropProblem[],
  ) {
    super(
      `${code}: ${problems
        .map((p) => [p.message, ...(p.details ?? []).map((d) => `  ${d}`)].join("\n"))
        .join("\n")}`,
    );
  }
}
