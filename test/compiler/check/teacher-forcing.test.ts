// teacher_forcing: a ratio, or decay(from:, to:, steps:), a ratio falling linearly over the
// trainer's steps (scheduled sampling, Bengio et al. 2015). Its values are checked.
import { describe, expect, it } from "vitest";
import { checkText } from "../../support/check.ts";

const model = (ratio: string) => `model m {
  input src: int[S]
  input tgt: int[T] for training
  enc = encode(embedding(src, vocab: 7, dim: 3), cell: gru(hidden: 3))
  dec = decode(from: enc, cell: gru(hidden: 3), vocab: 5, embed: 2, bos: 1, eos: 2, max_steps: 6, teacher: tgt, teacher_forcing: ${ratio})
  output tokens = dec.tokens
}`;

describe("teacher_forcing", () => {
  it("takes a ratio or a decay", () => {
    expect(checkText(model("0.5")).ok).toBe(true);
    expect(checkText(model("decay(from: 1, to: 0.25, steps: 100)")).ok).toBe(true);
  });

  it.each([
    ["decay(from: 1, to: 1.5, steps: 100)", "'to' must be at least 0 and at most 1"],
    ["decay(from: 1, to: 0.5, steps: 0)", "steps"],
    ["decay(from: 1, steps: 10)", "decay needs 'to'"],
    ["1.5", "teacher_forcing must be at least 0 and at most 1"],
  ])("rejects %s", (ratio, message) => {
    const result = checkText(model(ratio));
    expect(result.ok).toBe(false);
    expect(result.rendered).toContain(message);
  });
});
