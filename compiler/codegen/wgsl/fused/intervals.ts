/**
 * Memory reuse by liveness: blocks that are live in disjoint time intervals may share space.
 * First fit in order of first use, so the result is deterministic. Used for the work arena
 * (time = dispatch index) and for workgroup memory inside a step (time = phase).
 */

export interface LiveBlock {
  /** Words. */
  readonly size: number;
  /** First and last time it is live (inclusive). */
  readonly start: number;
  readonly end: number;
}

/** Offsets (in words, multiples of `align`) for each block, and the total words needed. */
export function packByLiveness(
  blocks: readonly LiveBlock[],
  align = 1,
): { offsets: number[]; total: number } {
  const order = blocks
    .map((_, i) => i)
    .sort((a, b) => blocks[a]!.start - blocks[b]!.start || a - b);
  const offsets = new Array<number>(blocks.length).fill(0);
  const placed: number[] = [];
  let total = 0;
  const roundUp = (n: number) => Math.ceil(n / align) * align;
  for (const i of order) {
    const block = blocks[i]!;
    const busy = placed
      .filter((j) => blocks[j]!.start <= block.end && block.start <= blocks[j]!.end)
      .map((j) => [offsets[j]!, offsets[j]! + roundUp(blocks[j]!.size)] as const)
      .sort((x, y) => x[0] - y[0]);
    let at = 0;
    for (const [from, to] of busy) {
      if (at + roundUp(block.size) <= from) break;
      at = Math.max(at, to);
    }
    offsets[i] = at;
    placed.push(i);
    total = Math.max(total, at + roundUp(block.size));
  }
  return { offsets, total };
}
