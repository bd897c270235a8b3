/**
 * How deep a program may nest (RNN1006). The parser, the checker, lowering and the formatter
 * recurse over expressions, so a file of ten thousand '(' (or a sum of ten thousand terms,
 * a left-deep tree) would overflow the stack: an internal error instead of a diagnostic.
 * Two limits, far beyond what a person writes: brackets (and unary minus signs) open at once,
 * checked on the tokens before parsing; and the depth of an expression tree, after it.
 */
import type { IToken } from "chevrotain";
import type { Expr, Program, Span } from "./ast.ts";
import { error, type Diagnostic } from "./diagnostic.ts";

/** Brackets and unary minus signs open at one point. */
export const MAX_NESTING = 64;
/** Operators on the path from an expression's root to its deepest leaf. */
export const MAX_DEPTH = 256;

const HELP = "split the expression into named steps: a = ..., then use a";

function span(token: IToken): Span {
  return { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
}

/** RNN1006 at the first token nested deeper than MAX_NESTING, or undefined. */
export function nestingDiagnostic(tokens: readonly IToken[]): Diagnostic | undefined {
  let brackets = 0;
  let minuses = 0;
  for (const token of tokens) {
    const image = token.image;
    if (image === "(" || image === "[" || image === "{") brackets++;
    else if (image === ")" || image === "]" || image === "}") brackets = Math.max(0, brackets - 1);
    minuses = image === "-" ? minuses + 1 : 0;
    if (brackets + minuses > MAX_NESTING)
      return error(
        "RNN1006",
        span(token),
        `brackets nested more than ${MAX_NESTING} deep, beyond rnnc's limit`,
        { help: HELP },
      );
  }
  return undefined;
}

function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case "call":
      return e.args.map((a) => a.value);
    case "binary":
      return [e.left, e.right];
    case "unary":
      return [e.operand];
    case "field":
      return [e.object];
    default:
      return [];
  }
}

/** The deepest node of `root` when the tree is deeper than MAX_DEPTH (without recursing). */
function tooDeep(root: Expr): Expr | undefined {
  const stack: [Expr, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [e, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) return e;
    for (const c of children(e)) stack.push([c, depth + 1]);
  }
  return undefined;
}

/** RNN1006 for the first expression of `program` deeper than MAX_DEPTH, or undefined. */
export function depthDiagnostic(program: Program): Diagnostic | undefined {
  for (const decl of program.decls) {
    for (const stmt of decl.body) {
      const exprs: Expr[] =
        "value" in stmt
          ? [stmt.value]
          : stmt.kind === "input"
            ? stmt.decls.flatMap((d) => d.shape?.dims ?? [])
            : stmt.decls.flatMap((d) => d.shape.dims);
      for (const root of exprs) {
        if (!tooDeep(root)) continue;
        return error(
          "RNN1006",
          root.span,
          `this expression is nested more than ${MAX_DEPTH} operations deep, beyond rnnc's limit`,
          { help: HELP },
        );
      }
    }
  }
  return undefined;
}
