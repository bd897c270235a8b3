// Property tests of the front end: print → parse round-trips, and no input makes parse or
// format throw. Case counts are chosen so the file runs in well under a minute on two cores.
import fc from "fast-check";
import { describe, it } from "vitest";
import type * as A from "../../dsl/ast.ts";
import { astEqual, stripSpans } from "../../dsl/ast-equal.ts";
import { format, printExpr } from "../../dsl/format.ts";
import { checkParsed, prelude } from "../../compiler/check/index.ts";
import { parse } from "../../dsl/parse.ts";
import {
  assertPositioned,
  expression,
  mutatedRnnText,
  relaidRnnText,
  rnnDocument,
} from "../support/rnn-arbitraries.ts";

// RNNC_PROPERTY_SCALE=10 runs ten times as many cases (for a longer hunt, not for CI).
const scale = Number(process.env.RNNC_PROPERTY_SCALE ?? "1");
const RUNS = {
  documents: 2500 * scale,
  expressions: 3000 * scale,
  relaid: 1500 * scale,
  mutations: 5000 * scale,
};
const long = { timeout: 60_000 * scale };

function assertSameTree(actual: unknown, expected: unknown, context: string): void {
  if (astEqual(actual, expected)) return;
  const show = (x: unknown): string => JSON.stringify(stripSpans(x), null, 1);
  throw new Error(
    `${context}: trees differ\nactual:   ${show(actual)}\nexpected: ${show(expected)}`,
  );
}

/** format must give back the same tree and comments, in canonical form, and be idempotent. */
function assertFormatsFaithfully(
  text: string,
  program: A.Program,
  comments: readonly string[],
): void {
  const formatted = format(text).text;
  if (formatted === undefined) throw new Error("format gave no text for a valid program");
  const reparsed = parse(formatted);
  if (!reparsed.program) {
    throw new Error(
      `formatted text does not parse: ${reparsed.diagnostics[0]?.message}\n${formatted}`,
    );
  }
  assertSameTree(reparsed.program, program, `formatted:\n${formatted}`);
  const got = reparsed.comments.map((c) => c.text.trimEnd());
  const want = comments.map((c) => c.trimEnd());
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`comments changed: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
  }
  const again = format(formatted).text;
  if (again !== formatted) throw new Error(`not idempotent:\n${formatted}\n---\n${again}`);
  assertCanonicalLines(formatted, reparsed.comments);
}

function assertCanonicalLines(text: string, comments: readonly A.Comment[]): void {
  if (text !== "" && (!text.endsWith("\n") || text.endsWith("\n\n"))) {
    throw new Error("output must end with exactly one newline");
  }
  const lines = text.split("\n").slice(0, -1);
  // The same lines with comments blanked out, to see the braces.
  let code = text;
  for (const { text: comment, span } of comments) {
    const end = span.start + comment.length;
    code = code.slice(0, span.start) + " ".repeat(comment.length) + code.slice(end);
  }
  const codeLines = code.split("\n").map((l) => l.trimEnd());
  lines.forEach((line, i) => {
    if (line !== line.trimEnd()) throw new Error(`trailing blanks on line ${i + 1}`);
    if (line !== "" && !/^( {2})*\S/.test(line)) {
      throw new Error(`odd indentation on line ${i + 1}: ${JSON.stringify(line)}`);
    }
    if (line === "" && (i === 0 || lines[i - 1] === "")) {
      throw new Error(`blank line at the start or doubled at line ${i + 1}`);
    }
    if (line === "" && (codeLines[i - 1]!.endsWith("{") || codeLines[i + 1]?.startsWith("}"))) {
      throw new Error(`blank line after '{' or before '}' at line ${i + 1}`);
    }
  });
}

describe("well-formed programs", () => {
  it(`parse the naive printing, and format faithfully (${RUNS.documents} cases)`, long, () => {
    fc.assert(
      fc.property(rnnDocument, (doc) => {
        const parsed = parse(doc.text);
        if (!parsed.program) {
          throw new Error(`does not parse: ${parsed.diagnostics[0]?.message}\n${doc.text}`);
        }
        assertSameTree(parsed.program, doc.program, "naive printing");
        assertFormatsFaithfully(doc.text, doc.program, doc.comments);
      }),
      { numRuns: RUNS.documents },
    );
  });

  it(`print every expression with minimal parentheses (${RUNS.expressions} cases)`, long, () => {
    fc.assert(
      fc.property(expression(5), (e) => {
        const printed = printExpr(e);
        const parsed = parse(`model m {\n  loss ${printed}\n}\n`).program;
        const stmt = parsed?.decls[0]?.body[0];
        if (stmt?.kind !== "loss") throw new Error(`does not parse: ${printed}`);
        assertSameTree(stmt.value, e, printed);
        // Minimal: removing any one pair of parentheses changes the tree or breaks the parse.
        for (let i = printed.indexOf("("); i >= 0; i = printed.indexOf("(", i + 1)) {
          if (i > 0 && /[A-Za-z0-9_]/.test(printed[i - 1]!)) continue; // a call
          const close = matching(printed, i);
          const bare = printed.slice(0, i) + printed.slice(i + 1, close) + printed.slice(close + 1);
          const other = parse(`model m {\n  loss ${bare}\n}\n`).program?.decls[0]?.body[0];
          if (other?.kind === "loss" && astEqual(other.value, e)) {
            throw new Error(`needless parentheses at ${i} in ${printed}`);
          }
        }
      }),
      { numRuns: RUNS.expressions },
    );
  });
});

function matching(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return i;
  }
  throw new Error("unbalanced");
}

describe("mutated files", () => {
  it(
    `keep their tree and comments when line breaks and comments are added (${RUNS.relaid} cases)`,
    long,
    () => {
      fc.assert(
        fc.property(relaidRnnText, (text) => {
          const parsed = parse(text);
          if (!parsed.program) throw new Error(`does not parse: ${parsed.diagnostics[0]?.message}`);
          assertFormatsFaithfully(
            text,
            parsed.program,
            parsed.comments.map((c) => c.text),
          );
        }),
        { numRuns: RUNS.relaid },
      );
    },
  );

  it(`never make parse or format throw, and are positioned (${RUNS.mutations} cases)`, long, () => {
    let valid = 0;
    fc.assert(
      fc.property(mutatedRnnText, (text) => {
        const parsed = parse(text);
        assertPositioned(parsed.diagnostics, text, /^RNN1\d{3}$/);
        const formatted = format(text);
        assertPositioned(formatted.diagnostics, text, /^RNN1\d{3}$/);
        if (!parsed.program) {
          if (parsed.diagnostics.length === 0) throw new Error("no program and no diagnostic");
          if (formatted.text !== undefined) throw new Error("format gave text for invalid input");
          return;
        }
        valid++;
        assertFormatsFaithfully(
          text,
          parsed.program,
          parsed.comments.map((c) => c.text),
        );
        // The checker must not throw on any tree that parses either.
        assertPositioned(checkParsed(parsed, prelude()).diagnostics, text, /^RNN2\d{3}$/);
      }),
      { numRuns: RUNS.mutations },
    );
    // Mutations that still parse exercise format on odd layouts; make sure there are some.
    if (valid < RUNS.mutations / 20) throw new Error(`only ${valid} mutated files parsed`);
  });
});
