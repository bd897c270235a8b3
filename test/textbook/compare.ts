/**
 * rnnc's outputs against a textbook fixture's: the largest |rnnc - PyTorch| of each float
 * output (against PyTorch's float64 run on the float32 weights, and against PyTorch's own float32
 * run), and every int output exactly. `compare.<output>.until_eos: k` limits a decoder's
 * tokens [B, T] and logits [B, T, V] to each row's steps up to its first k in the expected
 * tokens: past eos rnnc repeats eos and the chapter's loop keeps going.
 */
import type { Tensor } from "../../runtime/reference/tensor.ts";
import type { Result } from "./backends.ts";
import type { TextbookFixture } from "./fixtures.ts";

export interface Errors {
  /** max |rnnc - PyTorch float64| over the float outputs. */
  readonly expected: number;
  /** max |rnnc - PyTorch float32|. */
  readonly torch32: number;
  /** Int outputs that differ: "tokens: 3 of 32". */
  readonly intMismatches: string[];
}

/** Which flat positions of `name` to compare (all, or up to each row's first eos). */
function positions(fixture: TextbookFixture, name: string, want: Tensor): (i: number) => boolean {
  const eos = fixture.json.compare?.[name]?.until_eos;
  if (eos === undefined) return () => true;
  const tokens = fixture.expected.get("tokens")!;
  const [batch, steps] = tokens.shape as [number, number];
  const through = Array.from({ length: batch }, (_, b) => {
    for (let t = 0; t < steps; t++) if (tokens.data[b * steps + t] === eos) return t;
    return steps - 1;
  });
  const per = want.data.length / (batch * steps);
  return (i) => {
    const cell = Math.floor(i / per);
    return cell % steps <= through[Math.floor(cell / steps)]!;
  };
}

function maxAbs(got: ArrayLike<number>, want: ArrayLike<number>, keep: (i: number) => boolean) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    if (!keep(i)) continue;
    const d = Math.abs(got[i]! - want[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

export function compareWith(
  fixture: TextbookFixture,
  got: Readonly<Record<string, Result | undefined>>,
): Errors {
  let [expected, torch32] = [0, 0];
  const intMismatches: string[] = [];
  for (const [name, want] of fixture.expected) {
    const g = got[name];
    if (!g) throw new Error(`${fixture.json.name}: rnnc gave no output '${name}'`);
    if (g.shape.join() !== want.shape.join() || g.data.length !== want.data.length)
      throw new Error(
        `${fixture.json.name}: '${name}' has shape [${g.shape.join(", ")}], PyTorch's [${want.shape.join(", ")}]`,
      );
    const keep = positions(fixture, name, want);
    if (want.dtype === "int") {
      let bad = 0;
      let counted = 0;
      for (let i = 0; i < want.data.length; i++)
        if (keep(i)) {
          counted++;
          if (g.data[i] !== want.data[i]) bad++;
        }
      if (bad > 0) intMismatches.push(`${name}: ${bad} of ${counted}`);
      continue;
    }
    expected = Math.max(expected, maxAbs(g.data, want.data, keep));
    torch32 = Math.max(torch32, maxAbs(g.data, fixture.torch32.get(name)!.data, keep));
  }
  return { expected, torch32, intMismatches };
}
