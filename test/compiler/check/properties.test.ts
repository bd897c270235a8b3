// Property tests of the checker: no program that parses makes it throw. Mutations here work
// on tokens, not characters, so most mutated files still parse and reach the checker: names
// swapped for other names, numbers for other numbers, statements deleted, duplicated or
// moved, options dropped. Every diagnostic must be an RNN2xxx with a span inside the text.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Lexer } from "chevrotain";
import { describe, expect, it } from "vitest";
import { checkParsed, prelude, stdlibFiles } from "../../../compiler/check/index.ts";
import { parse } from "../../../dsl/parse.ts";
import { allTokens } from "../../../dsl/tokens.ts";
import { assertPositioned, validRnnTexts } from "../../support/rnn-arbitraries.ts";

const scale = Number(process.env.RNNC_PROPERTY_SCALE ?? "1");
const RUNS = 8000 * scale;

const EXAMPLES = ["textbook", "spam", "co2", "stress", "names", "g2p", "params"].map(
  (n) => `examples/${n}.rnn`,
);
const corpus: string[] = [
  ...[...stdlibFiles(), ...EXAMPLES].map((p) => readFileSync(p, "utf8")),
  ...validRnnTexts,
];
const lexer = new Lexer(allTokens, { positionTracking: "onlyOffset" });

interface Piece {
  readonly text: string;
  readonly type: string;
}

/** The text as tokens with the whitespace and comments between them kept as pieces. */
function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const token of lexer.tokenize(text).tokens) {
    if (token.startOffset > at)
      out.push({ text: text.slice(at, token.startOffset), type: "space" });
    out.push({ text: token.image, type: token.tokenType.name });
    at = token.startOffset + token.image.length;
  }
  out.push({ text: text.slice(at), type: "space" });
  return out;
}

const NAMES = [
  "x",
  "h",
  "c",
  "H",
  "I",
  "T",
  "enc",
  "dec",
  "lstm",
  "gru",
  "hidden",
  "final",
  "outputs",
  "z",
  "zz",
  "tokens",
  "vocab",
  "cell",
];
const NUMBERS = ["0", "1", "2", "3", "4", "0.5", "1.5", "1e-5", "1000", "100000"];

const mutation = fc.record({
  file: fc.nat(),
  edits: fc.array(
    fc.record({
      kind: fc.constantFrom(
        "rename",
        "rename",
        "rename",
        "renumber",
        "renumber",
        "prime",
        "dropLine",
        "dupLine",
        "drop",
        "duplicate",
        "move",
      ),
      at: fc.nat(),
      pick: fc.nat(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

function mutate(spec: {
  file: number;
  edits: { kind: string; at: number; pick: number }[];
}): string {
  let text = corpus[spec.file % corpus.length]!;
  for (const edit of spec.edits) {
    if (edit.kind === "dropLine" || edit.kind === "dupLine") {
      const lines = text.split("\n");
      const i = edit.at % lines.length;
      if (edit.kind === "dropLine") lines.splice(i, 1);
      else lines.splice(i, 0, lines[i]!);
      text = lines.join("\n");
      continue;
    }
    const ps = pieces(text);
    const tokenIndexes = ps.flatMap((p, i) => (p.type === "space" ? [] : [i]));
    const i = tokenIndexes[edit.at % tokenIndexes.length]!;
    const piece = ps[i]!;
    const fileNames = ps.filter((p) => p.type === "Identifier").map((p) => p.text);
    const names = [...NAMES, ...fileNames];
    switch (edit.kind) {
      case "rename":
        if (piece.type === "Identifier" || piece.type === "PrimedIdentifier") {
          ps[i] = {
            ...piece,
            text: names[edit.pick % names.length]! + (piece.type === "PrimedIdentifier" ? "'" : ""),
          };
        }
        break;
      case "renumber":
        if (piece.type === "NumberLiteral")
          ps[i] = { ...piece, text: NUMBERS[edit.pick % NUMBERS.length]! };
        break;
      case "drop":
        ps.splice(i, 1);
        break;
      case "duplicate":
        ps.splice(i, 0, piece, { text: " ", type: "space" });
        break;
      case "move": {
        const j = tokenIndexes[edit.pick % tokenIndexes.length]!;
        [ps[i], ps[j]] = [ps[j]!, ps[i]!];
        break;
      }
      case "prime":
        if (piece.type === "Identifier")
          ps[i] = { text: `${piece.text}'`, type: "PrimedIdentifier" };
        else if (piece.type === "PrimedIdentifier")
          ps[i] = { text: piece.text.slice(0, -1), type: "Identifier" };
        break;
    }
    text = ps.map((p) => p.text).join("");
  }
  return text;
}

describe("checker properties", () => {
  it("every committed .rnn file and inline sample checks or reports positioned errors", () => {
    for (const text of corpus) {
      const parsed = parse(text);
      expect(parsed.program).toBeDefined();
      const result = checkParsed(parsed, prelude());
      assertPositioned(result.diagnostics, text, /^RNN2\d{3}$/);
    }
  });

  it(
    `token mutations that still parse never make the checker throw (${RUNS} cases)`,
    { timeout: 120_000 * scale },
    () => {
      let parsed = 0;
      let failing = 0;
      fc.assert(
        fc.property(mutation, (spec) => {
          const text = mutate(spec);
          const result = parse(text);
          if (!result.program) return;
          parsed++;
          const checked = checkParsed(result, prelude());
          assertPositioned(checked.diagnostics, text, /^RNN2\d{3}$/);
          if (!checked.ok) failing++;
          if (!checked.ok && checked.diagnostics.length === 0)
            throw new Error("not ok but no diagnostic");
        }),
        { numRuns: RUNS },
      );
      // The mutations must mostly reach the checker and mostly produce errors, or the property is hollow.
      expect(parsed).toBeGreaterThan(RUNS / 2);
      expect(failing).toBeGreaterThan(parsed / 4);
    },
  );
});
