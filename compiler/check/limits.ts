/**
 * rnnc's size limits (RNN2029). A size or count beyond them cannot be compiled into a
 * bundle that any device runs (WebGPU buffers are at most a few GiB, float32 indexes
 * exactly only up to 2^24), so the checker refuses it at the number that asks for it,
 * before lowering plans kernels for it or the bundle writer allocates its weights.
 */
import type { Span } from "../../dsl/ast.ts";
import type { Note } from "../../dsl/diagnostic.ts";
import type { Reporter } from "./report.ts";

export const LIMITS = {
  /** Any whole number a program writes: a size, a vocabulary, a count, a token id. */
  size: 2 ** 24,
  /** Scalars of one value per step, and parameters of one model (1 GiB as float32). */
  elements: 2 ** 28,
  /** Steps of a decoder (`max_steps`): the WebGPU plan of beam search unrolls them. */
  decodeSteps: 10_000,
} as const;

const HELP: Record<number, string> = {
  [LIMITS.size]:
    "float32 counts exactly only up to 2^24, and no device holds this much: a digit too many?",
  [LIMITS.elements]: "this would not fit a device's buffers: use smaller sizes",
  [LIMITS.decodeSteps]: "a decoder writes at most this many steps per run",
};

/** `16777216 (2^24)`, `268435456 (2^28)`, `10000`. */
export function formatLimit(n: number): string {
  const log = Math.log2(n);
  return Number.isInteger(log) ? `${n} (2^${log})` : String(n);
}

/** Reports `what` = `value` beyond `limit` at `span`; returns undefined (as report.error does). */
export function tooLarge(
  report: Reporter,
  span: Span,
  what: string,
  value: number,
  limit: number,
  help = HELP[limit],
  notes?: readonly Note[],
): undefined {
  const shown = Number.isSafeInteger(value) ? String(value) : value.toPrecision(3);
  return report.error(
    "tooLarge",
    span,
    `${what} is ${shown}, beyond rnnc's limit of ${formatLimit(limit)}`,
    help,
    notes,
  );
}
