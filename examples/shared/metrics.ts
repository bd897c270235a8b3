/**
 * Held-out metrics the examples report: accuracy, precision/recall/F1 of a binary label,
 * edit distance (for word and phoneme error rates), and the markdown table they print.
 */

/** Share of positions where `predicted` equals `truth`. */
export function accuracy(predicted: readonly number[], truth: readonly number[]): number {
  if (predicted.length !== truth.length) throw new Error("accuracy: lengths differ");
  let right = 0;
  predicted.forEach((p, i) => (right += p === truth[i] ? 1 : 0));
  return right / Math.max(1, truth.length);
}

export interface BinaryScores {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Scores of binary predictions (1 positive) against the truth. */
export function binaryScores(predicted: readonly number[], truth: readonly number[]): BinaryScores {
  let [tp, fp, fn] = [0, 0, 0];
  predicted.forEach((p, i) => {
    if (p === 1 && truth[i] === 1) tp++;
    else if (p === 1) fp++;
    else if (truth[i] === 1) fn++;
  });
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { accuracy: accuracy(predicted, truth), precision, recall, f1 };
}

/** Levenshtein distance between two sequences (insertions, deletions, substitutions). */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}

/** A markdown table: a header row and rows of cells, columns padded to their widest cell. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
  ].join("\n");
}
