// The checker on bad input: whatever the text, `parse` + `checkParsed` never throw, every
// diagnostic has a real position and a code, and `ok` agrees with the diagnostics. Inputs are
// realistic files (the examples, the stdlib, the golden error cases) after random edits of
// names, numbers and lines, which keep most of them parseable so the checker sees them.
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "vitest";
import { checkParsed, prelude } from "../compiler/check/index.ts";
import { parse } from "../dsl/parse.ts";
import { assertPositioned, mutatedRnnText, rnnDocument } from "./support/rnn-arbitraries.ts";

const scale = Number(process.env.RNNC_PROPERTY_SCALE ?? "1");
const RUNS = 1000 * scale;

const stdlib = prelude();
const texts = ["examples", "dsl/stdlib", "test/errors"].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".rnn"))
    .sort()
    .map((f) => readFileSync(`${dir}/${f}`, "utf8")),
);

// Words a user might put in the wrong place: names, fields, functions, options, numbers.
const WORDS = [
  ...["x", "h", "c", "H", "I", "T", "enc", "final", "outputs", "tokens", "logits", "h'", "x'"],
  ...["lstm", "gru", "linear", "split", "concat", "encode", "decode", "generate", "embedding"],
  ...["dropout", "layernorm", "clip", "mse", "cross_entropy", "beam", "sample", "greedy"],
  ...["bidirectional", "layers", "vocab", "teacher", "init", "features", "attention", "luong"],
  ...["bahdanau", "merge", "sum", "out", "bias", "eps", "affine", "width", "temperature"],
  ...["0", "1", "2", "0.5", "-1", "1e400", "1000000000", "true", "false", "4 * H", "H - H"],
];

const WORD = /[A-Za-z_][A-Za-z0-9_]*'?|\d+(?:\.\d+)?/g;

/** A file with 1 to 3 of its words replaced, and 0 to 2 lines deleted, duplicated or moved. */
const editedFile: fc.Arbitrary<string> = fc
  .record({
    file: fc.nat(texts.length - 1),
    words: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...WORDS)), { minLength: 1, maxLength: 3 }),
    lines: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom("delete", "copy", "move")), {
      maxLength: 2,
    }),
  })
  .map(({ file, words, lines }) => {
    let text = texts[file]!;
    for (const [at, word] of words) {
      const found = [...text.matchAll(WORD)];
      const m = found[at % Math.max(1, found.length)];
      if (m) text = text.slice(0, m.index) + word + text.slice(m.index + m[0].length);
    }
    const rows = text.split("\n");
    for (const [a, b, op] of lines) {
      const from = a % rows.length;
      const to = b % rows.length;
      if (op === "delete" && rows.length > 1) rows.splice(from, 1);
      else if (op === "copy") rows.splice(to, 0, rows[from]!);
      else if (op === "move") rows.splice(to, 0, ...rows.splice(from, 1));
    }
    return rows.join("\n");
  });

function checkNeverThrows(text: string): void {
  const parsed = parse(text);
  const result = checkParsed(parsed, stdlib);
  assertPositioned(result.diagnostics, text, /^RNN[12]\d{3}$/);
  if (result.ok !== (result.diagnostics.length === 0))
    throw new Error(`ok is ${result.ok} with ${result.diagnostics.length} diagnostics`);
}

describe("the checker on bad input", () => {
  it("never throws on edited realistic files", () => {
    fc.assert(fc.property(editedFile, checkNeverThrows), { numRuns: RUNS });
  });

  it("never throws on files with character and token edits", () => {
    fc.assert(fc.property(mutatedRnnText, checkNeverThrows), { numRuns: RUNS });
  });

  it("never throws on random well-formed programs", () => {
    fc.assert(
      fc.property(rnnDocument, (d) => checkNeverThrows(d.text)),
      { numRuns: RUNS },
    );
  });
});
