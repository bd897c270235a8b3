/**
 * The front door of dsl/: text → AST + comments + syntax diagnostics (RNN1xxx).
 *
 * Lexing errors and malformed numbers stop before parsing; the parser reports its first error
 * only (later ones are usually echoes). Chevrotain's errors are re-placed where a person
 * would look: an unclosed bracket is reported at the bracket, a mismatched closer at the
 * closer, and errors at the end of the file on the last real token.
 */
import { EOF, Lexer, type IRecognitionException, type IToken } from "chevrotain";
import type { Comment, Program, Span } from "./ast.ts";
import { programFromCst } from "./cst-to-ast.ts";
import { error, sortDiagnostics, type Diagnostic } from "./diagnostic.ts";
import { depthDiagnostic, nestingDiagnostic } from "./nesting.ts";
import { rnnParser } from "./parser.ts";
import { SourceFile } from "./source.ts";
import { describeChars, describeToken, unexpectedCharHelp } from "./syntax-messages.ts";
import * as t from "./tokens.ts";

export interface ParseResult {
  readonly source: SourceFile;
  /** Absent when the text has syntax errors. */
  readonly program: Program | undefined;
  readonly comments: readonly Comment[];
  readonly diagnostics: readonly Diagnostic[];
}

// "full" tracking, because only it gives tokens an end offset, and carets span whole tokens.
const lexer = new Lexer(t.allTokens, {
  positionTracking: "full",
  ensureOptimizations: false,
});

const OPENERS: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
const CLOSERS = new Set([")", "]", "}"]);

function span(token: IToken): Span {
  return { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
}

/** One diagnostic per distinct unexpected character (`;` on every line is one mistake). */
function lexDiagnostics(
  source: SourceFile,
  tokens: IToken[],
  errors: { offset: number; length: number }[],
): Diagnostic[] {
  const text = source.text;
  const byChars = new Map<string, { offset: number; length: number }[]>();
  for (const e of errors) {
    const chars = text.slice(e.offset, e.offset + e.length);
    byChars.set(chars, [...(byChars.get(chars) ?? []), e]);
  }
  const out: Diagnostic[] = [...byChars].map(([chars, [first, ...more]]) => {
    const lines = [...new Set(more.map((e) => source.position(e.offset).line))];
    return error(
      "RNN1001",
      { start: first!.offset, end: first!.offset + first!.length },
      `unexpected character${[...chars].length > 1 ? "s" : ""} ${describeChars(chars)}`,
      {
        help: unexpectedCharHelp(chars),
        notes: lines.length
          ? [
              {
                message: `also on line${lines.length > 1 ? "s" : ""} ${lines.join(", ")}`,
                span: undefined,
              },
            ]
          : undefined,
      },
    );
  });
  for (const token of tokens) {
    if (token.tokenType !== t.BadNumber) continue;
    out.push(
      error("RNN1002", span(token), `malformed number '${token.image}'`, {
        help: /^\d+(\.\d+)?[eE][+-]?$/.test(token.image)
          ? "an exponent needs digits after the 'e': 1e-5, 2.5e3"
          : /^\d+[A-Za-z_]/.test(token.image)
            ? `write a multiplication explicitly, e.g. '${token.image.match(/^\d+/)![0]} * ${token.image.replace(/^\d+/, "")}'`
            : "a number is digits with an optional fraction and exponent: 3, 0.5, 1e-5",
      }),
    );
  }
  return out;
}

/** Brackets still open just before `offset`, innermost last; or the first mismatched closer. */
function scanBrackets(
  tokens: IToken[],
  offset: number,
): { open: IToken[]; mismatch?: { closer: IToken; opener: IToken | undefined } } {
  const open: IToken[] = [];
  for (const token of tokens) {
    if (token.startOffset >= offset) break;
    if (token.image in OPENERS) open.push(token);
    else if (CLOSERS.has(token.image)) {
      const opener = open[open.length - 1];
      if (!opener || OPENERS[opener.image] !== token.image)
        return { open, mismatch: { closer: token, opener } };
      open.pop();
    }
  }
  return { open };
}

function unclosed(opener: IToken, note?: { message: string; at: IToken }): Diagnostic {
  const closer = OPENERS[opener.image]!;
  const what = opener.image === "{" ? "unterminated block" : `unclosed '${opener.image}'`;
  return error("RNN1003", span(opener), `${what}: this '${opener.image}' is never closed`, {
    help: `add '${closer}'${opener.image === "{" ? " at the end of the block" : ""}`,
    notes: note ? [{ message: note.message, span: span(note.at) }] : undefined,
  });
}

const KEYWORD_HELP: Record<string, string> = {
  loss: "a loss statement has no '=': write loss mse(prediction, target)",
  output: "an output needs a name: output y = ...",
};

/**
 * A keyword written where a name belongs (`loss = ...`, `input model: ...`): the keyword
 * token, or undefined. `found` is the token the parser stopped at.
 */
function misusedKeyword(tokens: IToken[], found: IToken, message: string): IToken | undefined {
  const i = tokens.indexOf(found);
  const isKeyword = (tok: IToken | undefined) => !!tok && t.keywordTokens.includes(tok.tokenType);
  if (found.tokenType === t.Equals && isKeyword(tokens[i - 1])) return tokens[i - 1];
  const next = tokens[i + 1]?.tokenType;
  if (isKeyword(found) && (message.startsWith("expected a name") || next === t.Equals))
    return found;
  return undefined;
}

function parseDiagnostic(
  exception: IRecognitionException,
  tokens: IToken[],
  text: string,
): Diagnostic {
  const token = exception.token;
  const atEnd = token.tokenType === EOF || Number.isNaN(token.startOffset);
  const offset = atEnd ? text.length : token.startOffset;
  const { open, mismatch } = scanBrackets(tokens, atEnd ? Infinity : offset + 1);

  if (mismatch) {
    const { closer, opener } = mismatch;
    // `f(a, b` then the block's `}`: the bracket was left open, not closed with the wrong one.
    if (opener && opener.image !== "{" && closer.image === "}")
      return unclosed(opener, { message: "the block ends here", at: closer });
    return opener
      ? error("RNN1005", span(closer), `'${closer.image}' does not match '${opener.image}'`, {
          help: `close '${opener.image}' with '${OPENERS[opener.image]}'`,
          notes: [{ message: `'${opener.image}' opened here`, span: span(opener) }],
        })
      : error("RNN1005", span(closer), `unmatched '${closer.image}'`, {
          help: `remove it, or add the opening bracket it closes`,
        });
  }
  const innermost = open[open.length - 1];
  if (atEnd && innermost) return unclosed(innermost, undefined);
  const startsDecl =
    (token.tokenType === t.Cell || token.tokenType === t.Model) &&
    tokens[tokens.indexOf(token) + 1]?.tokenType === t.Identifier;
  const enclosingBlock = [...open].reverse().find((o) => o.image === "{");
  if (startsDecl && enclosingBlock)
    return unclosed(enclosingBlock, { message: "the next declaration starts here", at: token });
  if (token.tokenType === t.Training && tokens[tokens.indexOf(token) - 1]?.tokenType !== t.For)
    return error("RNN1004", span(token), "'training' needs 'for' before it", {
      help: "an input needed only when training is marked 'for training'",
    });
  const next = tokens[tokens.indexOf(token) + 1];
  if (
    token.tokenType === t.Dot &&
    next?.tokenType === t.NumberLiteral &&
    next.startOffset === offset + 1
  )
    return error(
      "RNN1002",
      { start: offset, end: span(next).end },
      `malformed number '.${next.image}'`,
      {
        help: `write a digit before the point: 0.${next.image}`,
      },
    );
  const keyword = atEnd ? undefined : misusedKeyword(tokens, token, exception.message);
  if (keyword)
    return error("RNN1004", span(keyword), `'${keyword.image}' is a keyword, not a name`, {
      help: KEYWORD_HELP[keyword.image] ?? "choose another name",
    });

  const last = tokens[tokens.length - 1];
  const where = atEnd ? (last ? span(last) : { start: 0, end: 0 }) : span(token);
  const rule = exception.context.ruleStack[exception.context.ruleStack.length - 1] ?? "";
  let help: string | undefined;
  let message = exception.message;
  if (rule === "nameOrCall" && exception.name === "MismatchedTokenException") {
    message = message.replace(/^expected '\)'/, "expected ',' or ')'");
    help = "separate arguments with ','";
  } else if (rule === "paramDecl" && tokens[tokens.indexOf(token) - 1]?.tokenType === t.Equals) {
    message = `expected an initialiser name, found ${describeToken(token)}`;
    help = "initialisers are zeros, ones, uniform and normal: param g: [H] = ones";
  } else if (rule === "program" || exception.name === "NotAllInputParsedException")
    help = "a file holds 'cell NAME(...) { ... }' and 'model NAME { ... }' declarations";
  else if (token.tokenType === t.Equals && rule !== "assignStmt")
    help = "'=' binds a name at the start of a statement; there are no comparisons";
  if (atEnd) message = message.replace(/found .*$/, "found the end of the file");
  return error("RNN1004", where, message || `unexpected ${describeToken(token)}`, { help });
}

/**
 * Names become keys of the manifest's and plans' records, where `__proto__` is not a key but
 * the record's prototype: it is reserved.
 */
function reservedName(tokens: readonly IToken[]): Diagnostic | undefined {
  const token = tokens.find(
    (k) =>
      (k.tokenType === t.Identifier || k.tokenType === t.PrimedIdentifier) &&
      k.image.replace(/'$/, "") === "__proto__",
  );
  if (!token) return undefined;
  return error(
    "RNN1004",
    span(token),
    `'${token.image.replace(/'$/, "")}' is reserved, not a name`,
    {
      help: "choose another name",
    },
  );
}

/** Parses one `.rnn` text. Never throws on any input. */
export function parse(input: SourceFile | string): ParseResult {
  const source = typeof input === "string" ? new SourceFile("<input>", input) : input;
  // A byte order mark is not text; a space in its place keeps every offset.
  const lexed = lexer.tokenize(source.text.replace(/^\uFEFF/, " "));
  const comments: Comment[] = (lexed.groups.comments ?? []).map((c) => ({
    text: c.image,
    span: span(c),
  }));
  const lexErrors = lexDiagnostics(source, lexed.tokens, lexed.errors);
  if (lexErrors.length > 0)
    return { source, program: undefined, comments, diagnostics: sortDiagnostics(lexErrors) };

  const tooDeep = nestingDiagnostic(lexed.tokens) ?? reservedName(lexed.tokens);
  if (tooDeep) return { source, program: undefined, comments, diagnostics: [tooDeep] };

  const parser = rnnParser();
  parser.input = lexed.tokens;
  const cst = parser.program();
  const first = parser.errors[0];
  if (first) {
    return {
      source,
      program: undefined,
      comments,
      diagnostics: [parseDiagnostic(first, lexed.tokens, source.text)],
    };
  }
  const program = programFromCst(cst);
  const deep = depthDiagnostic(program);
  if (deep) return { source, program: undefined, comments, diagnostics: [deep] };
  return { source, program, comments, diagnostics: [] };
}
