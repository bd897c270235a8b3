/**
 * How the conformance suite compares a backend's outputs with the reference's (both float32):
 *
 * - the same output names, shapes and dtypes (int outputs as Int32Array, float as Float32Array);
 * - floats: max |backend - reference| <= ATOL (1e-4); NaN must meet NaN and an infinity the same
 *   infinity;
 * - ints (tokens, lengths): exactly, with one allowance for decoded tokens. Where a token
 *   output comes with the logits it was chosen from (Prepared.decisions: tokens [..., T] and
 *   logits [..., T, V]), a backend may pick another token at step t of a row only if the
 *   reference's two largest logits there are within TIE (1e-5): float32 rounding may then
 *   legitimately flip the choice. From that step on, the row follows another path, so its
 *   later tokens and logits are not compared (the excused rows are reported). Any other token
 *   difference fails. Outputs of tokens alone (no logits output: examples/g2p.rnn, names.rnn)
 *   get no allowance.
 */
import type { Tensor } from "../../runtime/reference/tensor.ts";
import type { OutputTensor } from "../../runtime/webgpu/plan-io.ts";
import { ATOL, type Prepared } from "./cases.ts";

/** The reference's top-2 logits closer than this make a token choice a tie. */
export const TIE = 1e-5;

export interface Comparison {
  readonly failures: string[];
  /** The largest |backend - reference| of a float output, and where. */
  readonly maxAbs: number;
  readonly where: string;
  /** Rows whose tokens were excused from a tie on. */
  readonly excused: string[];
}

function topTwoGap(values: ArrayLike<number>, from: number, count: number): number {
  let [a, b] = [-Infinity, -Infinity];
  for (let i = from; i < from + count; i++) {
    const v = values[i]!;
    if (v > a) [a, b] = [v, a];
    else if (v > b) b = v;
  }
  return a - b;
}

export function compareOutputs(
  got: Readonly<Record<string, OutputTensor>>,
  want: Readonly<Record<string, Tensor>>,
  prepared: Pick<Prepared, "decisions">,
  atol = ATOL,
): Comparison {
  const failures: string[] = [];
  const excused: string[] = [];
  const [gotNames, wantNames] = [Object.keys(got).sort(), Object.keys(want).sort()];
  if (gotNames.join() !== wantNames.join())
    failures.push(`outputs [${gotNames.join(", ")}], want [${wantNames.join(", ")}]`);

  // Positions (per output) that a near tie excuses.
  const skip = new Map<string, Set<number>>();
  const skipRange = (name: string, from: number, to: number) => {
    const set = skip.get(name) ?? new Set<number>();
    for (let i = from; i < to; i++) set.add(i);
    skip.set(name, set);
  };
  for (const { tokens, logits } of prepared.decisions ?? []) {
    const [g, w, l] = [got[tokens], want[tokens], want[logits]];
    if (!g || !w || !l || g.data.length !== w.data.length) continue;
    const steps = w.shape.length >= 2 ? w.shape[w.shape.length - 1]! : 1;
    const vocab = l.shape[l.shape.length - 1]!;
    for (let row = 0; row * steps < w.data.length; row++) {
      let t = 0;
      while (t < steps && g.data[row * steps + t] === w.data[row * steps + t]) t++;
      if (t === steps) continue;
      const at = row * steps + t;
      const gap = topTwoGap(l.data, at * vocab, vocab);
      if (gap > TIE) continue; // not a tie: the int comparison below fails it
      skipRange(tokens, at, (row + 1) * steps);
      skipRange(logits, at * vocab, (row + 1) * steps * vocab);
      excused.push(`${tokens} row ${row} from step ${t} (top-2 logit gap ${gap.toExponential(1)})`);
    }
  }

  let maxAbs = 0;
  let where = "";
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (!g) continue;
    if (g.shape.join() !== w.shape.join()) {
      failures.push(`${name}: shape [${g.shape.join(", ")}], want [${w.shape.join(", ")}]`);
      continue;
    }
    const isInt = w.dtype === "int";
    if (isInt !== g.data instanceof Int32Array) {
      failures.push(`${name}: ${g.data.constructor.name}, want ${w.dtype}`);
      continue;
    }
    const excusedHere = skip.get(name);
    let bad = 0;
    let first = -1;
    for (let i = 0; i < w.data.length; i++) {
      if (excusedHere?.has(i)) continue;
      const [x, y] = [g.data[i]!, w.data[i]!];
      let ok: boolean;
      if (isInt) ok = x === y;
      else if (!Number.isFinite(x) || !Number.isFinite(y))
        ok = Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
      else {
        const d = Math.abs(x - y);
        if (d > maxAbs || !where) [maxAbs, where] = [d, name];
        ok = d <= atol;
      }
      if (!ok && bad++ === 0) first = i;
    }
    if (bad > 0)
      failures.push(
        `${name}: ${bad} of ${w.data.length} values off; the first at ${first}: got ${g.data[first]}, want ${w.data[first]}`,
      );
  }
  return { failures, maxAbs, where, excused };
}
