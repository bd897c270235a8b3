/**
 * NumPy broadcasting as data for a kernel: the result's dims and, per operand, the stride of
 * each result axis in that operand (0 where it broadcasts). Axes of size 1 are dropped and
 * neighbouring axes that every operand walks contiguously are merged, so common cases
 * (same shapes, a bias row, a per-row scale) become rank 1 or 2 and any rank fits the
 * kernels' MAX_RANK as long as the broadcast pattern itself is simple enough.
 */
import { strides as rowMajorStrides } from "../../../runtime/reference/tensor.ts";

export const MAX_RANK = 8;

export interface Broadcast {
  readonly dims: number[];
  /** strides[k][a]: operand k's step along result axis a. */
  readonly strides: number[][];
}

/** The broadcast of `operands` to `out` (a shape they all broadcast to), simplified. */
export function broadcastLayout(
  out: readonly number[],
  operands: readonly (readonly number[])[],
  maxRank = MAX_RANK,
): Broadcast {
  const rank = out.length;
  const full = operands.map((shape) => {
    const own = rowMajorStrides(shape);
    return out.map((_, a) => {
      const j = a - (rank - shape.length);
      return j < 0 || shape[j] === 1 ? 0 : own[j]!;
    });
  });
  const dims: number[] = [];
  const strides: number[][] = operands.map(() => []);
  for (let a = 0; a < rank; a++) {
    const d = out[a]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    // Merge with the previous kept axis when every operand steps over it contiguously.
    const mergeable = last >= 0 && full.every((s, k) => strides[k]![last] === s[a]! * d);
    if (mergeable) {
      dims[last] = dims[last]! * d;
      full.forEach((s, k) => (strides[k]![last] = s[a]!));
    } else {
      dims.push(d);
      full.forEach((s, k) => strides[k]!.push(s[a]!));
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    strides.forEach((s) => s.push(0));
  }
  if (dims.length > maxRank) {
    throw new Error(
      `broadcast of [${operands.map((s) => `[${s.join(", ")}]`).join(", ")}] to [${out.join(", ")}] ` +
        `needs rank ${dims.length} > ${maxRank}`,
    );
  }
  return { dims, strides };
}
