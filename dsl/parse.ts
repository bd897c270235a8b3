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
import { error, type Diagnostic } from "./diagnostic.ts";
import { rnnParser } from "./parser.ts";
import { SourceFile } from "./source.ts";
import { describeToken } from "./syntax-messages.ts";
import * as t from "./tokens.ts";

export interface ParseResult {
  readonly source: SourceFile;
  /** Absent when the text has syntax errors. */
  readonly program: Program | undefined;
  readonly comments: readonly Comment[];
  readonly diagnostics: readonly Diagnostic[];
}

const lexer = new Lexer(t.allTokens, {
  positionTracking: "onlyOffset",
  ensureOptimizations: false,
});

const OPENERS: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
const CLOSERS = new Set([")", "]", "}"]);

function span(token: IToken): Span {
  return { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
}

function lexDiagnostics(
  text: string,
  tokens: IToken[],
  errors: { offset: number; length: number }[],
): Diagnostic[] {
  const out: Diagnostic[] = errors.map((e) => {
    const chars = text.slice(e.offset, e.offset + e.length);
    return error(
      "RNN1001",
      { start: e.offset, end: e.offset + e.length },
      `unexpected character${chars.length > 1 ? "s" : ""} '${chars}'`,
      {
        help: "names use letters, digits and '_'; '#' starts a comment; operators are + - * /",
      },
    );
  });
  for (const token of tokens) {
    if (token.tokenType !== t.BadNumber) continue;
    out.push(
      error("RNN1002", span(token), `malformed number '${token.image}'`, {
        help: /^\d+[A-Za-z_]/.test(token.image)
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

function unclosed(opener: IToken, nextDecl: IToken | undefined): Diagnostic {
  const closer = OPENERS[opener.image]!;
  const what = opener.image === "{" ? "unterminated block" : `unclosed '${opener.image}'`;
  return error("RNN1003", span(opener), `${what}: this '${opener.image}' is never closed`, {
    help: `add '${closer}'${opener.image === "{" ? " at the end of the block" : ""}`,
    notes: nextDecl
      ? [{ message: "the next declaration starts here", span: span(nextDecl) }]
      : undefined,
  });
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
  const startsDecl = token.tokenType === t.Cell || token.tokenType === t.Model;
  const enclosingBlock = [...open].reverse().find((o) => o.image === "{");
  if (startsDecl && enclosingBlock) return unclosed(enclosingBlock, token);

  const last = tokens[tokens.length - 1];
  const where = atEnd ? (last ? span(last) : { start: 0, end: 0 }) : span(token);
  const rule = exception.context.ruleStack[exception.context.ruleStack.length - 1] ?? "";
  let help: string | undefined;
  if (rule === "nameOrCall" && exception.name === "MismatchedTokenException")
    help = "separate arguments with ','";
  else if (rule === "program" || exception.name === "NotAllInputParsedException")
    help = "a file holds 'cell NAME(...) { ... }' and 'model NAME { ... }' declarations";
  else if (token.tokenType === t.Equals && rule !== "assignStmt")
    help =
      "'=' binds a name at the start of a statement; compare values inside an expression is not supported";
  const message = atEnd
    ? exception.message.replace(/found .*$/, "found the end of the file")
    : exception.message;
  return error("RNN1004", where, message || `unexpected ${describeToken(token)}`, { help });
}

/** Parses one `.rnn` text. Never throws on any input. */
export function parse(input: SourceFile | string): ParseResult {
  const source = typeof input === "string" ? new SourceFile("<input>", input) : input;
  const lexed = lexer.tokenize(source.text);
  const comments: Comment[] = (lexed.groups.comments ?? []).map((c) => ({
    text: c.image,
    span: span(c),
  }));
  const lexErrors = lexDiagnostics(source.text, lexed.tokens, lexed.errors);
  if (lexErrors.length > 0) return { source, program: undefined, comments, diagnostics: lexErrors };

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
  return { source, program: programFromCst(cst), comments, diagnostics: [] };
}
