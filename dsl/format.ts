/**
 * The canonical formatter: text → parse → print. Whitespace and parentheses are chosen by the
 * printer; the tree and the comments are the author's and come back unchanged:
 * `parse(format(x)).program` equals `parse(x).program` up to spans, comments keep their text
 * (less trailing blanks) and order, and `format(format(x)) === format(x)`.
 *
 * Canonical form:
 * - declarations separated by exactly one blank line; statements one per line, indented by 2;
 *   a single blank line between statements (or comments) is kept, runs collapse to one, and
 *   there is none after `{` or before `}`; an empty body prints as `{}`;
 * - `a = b`, `x: [H]`, `name: value`, `, `, spaces around binary operators, `-x` tight;
 * - parentheses only where precedence (`+ -` < `* /` < unary `-` < postfix `.field`) or left
 *   associativity needs them, plus `(3).f` (a number directly before `.` would not lex);
 * - comments: a comment on its own line belongs to the statement (or declaration) after it;
 *   a comment after code on the same line stays at the end of that line; a comment inside a
 *   statement or a declaration header moves onto its own line before it; comments after the
 *   last statement of a block stay there; comments before the first and after the last
 *   declaration stay where they are;
 * - a statement longer than MAX_WIDTH columns (comments not counted) puts the arguments of
 *   its outermost call one per line, indented 2 more, `)` on a line of its own. With several
 *   outermost calls (`f(...) + g(...)`), the longest is broken. Other lines are never broken.
 */
import type * as A from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { parse } from "./parse.ts";
import type { SourceFile } from "./source.ts";

export const MAX_WIDTH = 100;
const INDENT = "  ";

export interface FormatResult {
  /** The formatted text; absent when the input has syntax errors. */
  readonly text?: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Formats one `.rnn` text. Never throws: syntax errors come back as diagnostics, with no text. */
export function format(input: string | SourceFile): FormatResult {
  const parsed = parse(input);
  if (!parsed.program) return { diagnostics: parsed.diagnostics };
  return {
    text: printProgram(parsed.program, parsed.comments, parsed.source.text),
    diagnostics: parsed.diagnostics,
  };
}

// ── Expressions ──────────────────────────────────────────────────────────────────────────────

const SUM = 1;
const PRODUCT = 2;
const UNARY = 3;
const POSTFIX = 4;
const PRIMARY = 5;

function precedence(e: A.Expr): number {
  switch (e.kind) {
    case "binary":
      return e.op === "+" || e.op === "-" ? SUM : PRODUCT;
    case "unary":
      return UNARY;
    case "field":
      return POSTFIX;
    default:
      return PRIMARY;
  }
}

/** Where a long statement breaks: this call's arguments go one per line below `indent`. */
interface BreakAt {
  readonly call: A.Call;
  readonly indent: string;
}

/** Prints an expression on one line with minimal parentheses. */
export function printExpr(e: A.Expr): string {
  return expr(e, undefined);
}

function expr(e: A.Expr, at: BreakAt | undefined): string {
  const wrap = (inner: A.Expr, needed: boolean): string =>
    needed ? `(${expr(inner, at)})` : expr(inner, at);
  switch (e.kind) {
    case "number":
      return e.text;
    case "bool":
      return e.value ? "true" : "false";
    case "name":
      return e.primed ? `${e.name}'` : e.name;
    case "call": {
      const args = e.args.map((a) => (a.name ? `${a.name.name}: ` : "") + expr(a.value, at));
      if (at?.call !== e) return `${e.callee.name}(${args.join(", ")})`;
      const inner = at.indent + INDENT;
      return `${e.callee.name}(\n${args.map((a) => inner + a).join(",\n")}\n${at.indent})`;
    }
    case "binary": {
      // Left-associative: a right operand of the same precedence keeps its parentheses.
      const p = precedence(e);
      return `${wrap(e.left, precedence(e.left) < p)} ${e.op} ${wrap(e.right, precedence(e.right) <= p)}`;
    }
    case "unary":
      return `-${wrap(e.operand, precedence(e.operand) < UNARY)}`;
    case "field": {
      const o = e.object;
      return `${wrap(o, precedence(o) < POSTFIX || o.kind === "number")}.${e.field.name}`;
    }
  }
}

/** Calls not nested in another call's arguments, that have arguments to break. */
function outermostCalls(e: A.Expr, out: A.Call[] = []): A.Call[] {
  switch (e.kind) {
    case "call":
      if (e.args.length > 0) out.push(e);
      break;
    case "binary":
      outermostCalls(e.left, out);
      outermostCalls(e.right, out);
      break;
    case "unary":
      outermostCalls(e.operand, out);
      break;
    case "field":
      outermostCalls(e.object, out);
      break;
  }
  return out;
}

// ── Statements and declarations ──────────────────────────────────────────────────────────────

function shape(s: A.Shape): string {
  return `[${s.dims.map(printExpr).join(", ")}]`;
}

function inputDecl(d: A.InputDecl): string {
  const typed = d.shape ? `: ${d.dtype?.name ?? ""}${shape(d.shape)}` : "";
  return `${d.name.name}${typed}${d.training ? " for training" : ""}`;
}

function statement(s: A.Stmt, at?: BreakAt): string {
  switch (s.kind) {
    case "input":
      return `input ${s.decls.map(inputDecl).join(", ")}`;
    case "state":
      return `state ${s.decls.map((d) => `${d.name.name}: ${shape(d.shape)}`).join(", ")}`;
    case "param": {
      const decl = (d: A.ParamDecl): string =>
        `${d.name.name}: ${shape(d.shape)}${d.init ? ` = ${d.init.name}` : ""}`;
      return `param ${s.decls.map(decl).join(", ")}`;
    }
    case "assign": {
      const targets = s.targets.map((t) => (t.primed ? `${t.name}'` : t.name)).join(", ");
      return `${targets} = ${expr(s.value, at)}`;
    }
    case "output":
      return `output ${s.name.name} = ${expr(s.value, at)}`;
    case "loss":
      return `loss ${expr(s.value, at)}`;
  }
}

/** The lines of one statement at `indent`, broken when its one-line form is too wide. */
function statementLines(s: A.Stmt, indent: string): string[] {
  const flat = statement(s);
  if (indent.length + flat.length <= MAX_WIDTH || !("value" in s)) return [indent + flat];
  const calls = outermostCalls(s.value);
  let widest: A.Call | undefined;
  let width = -1;
  for (const call of calls) {
    const w = printExpr(call).length;
    if (w > width) [widest, width] = [call, w];
  }
  if (!widest) return [indent + flat];
  return (indent + statement(s, { call: widest, indent })).split("\n");
}

function header(d: A.Decl): string {
  if (d.kind === "model") return `model ${d.name.name}`;
  const param = (p: A.CellParam): string =>
    p.symbol ? `${p.name.name}: ${p.symbol.name}` : `${p.name.name} = ${p.default?.text ?? ""}`;
  return `cell ${d.name.name}(${d.params.map(param).join(", ")})`;
}

const after = (comment: string | undefined): string => (comment ? ` ${comment}` : "");

function declLines(d: A.Decl, comments: A.Comment[], text: string, trailing?: string): string[] {
  const body = layout(text, d.body, comments, d.bodySpan.start + 1, true);
  const open = `${header(d)} {`;
  if (body.entries.length === 0 && !body.headerTrailing) return [`${open}}${after(trailing)}`];
  const lines = [open + after(body.headerTrailing)];
  body.entries.forEach((e, k) => {
    if (k > 0 && blankBetween(text, body.entries[k - 1]!, e)) lines.push("");
    if (e.kind === "comment") lines.push(INDENT + e.text);
    else {
      const stmt = statementLines(d.body[e.index]!, INDENT);
      stmt[stmt.length - 1] += after(e.trailing);
      lines.push(...stmt);
    }
  });
  lines.push(`}${after(trailing)}`);
  return lines;
}

function printProgram(program: A.Program, comments: readonly A.Comment[], text: string): string {
  // Comments strictly inside a body's braces are the body's; the rest are the program's.
  const inBody = program.decls.map((): A.Comment[] => []);
  const top: A.Comment[] = [];
  for (const c of comments) {
    const owner = program.decls.findIndex(
      (d) => c.span.start > d.bodySpan.start && c.span.start < d.bodySpan.end - 1,
    );
    (owner >= 0 ? inBody[owner]! : top).push(c);
  }
  const { entries } = layout(text, program.decls, top, 0, false);
  const lines: string[] = [];
  const started = new Set<number>();
  let declPrinted = false;
  entries.forEach((e, k) => {
    let blank = k > 0 && blankBetween(text, entries[k - 1]!, e);
    // A declaration, with the comments that lead it, always follows a blank line.
    const owner = e.kind === "item" ? e.index : e.owner;
    if (owner !== undefined && !started.has(owner)) {
      started.add(owner);
      blank ||= declPrinted;
    }
    if (blank) lines.push("");
    if (e.kind === "comment") lines.push(e.text);
    else {
      const decl = program.decls[e.index]!;
      lines.push(...declLines(decl, inBody[e.index]!, text, e.trailing));
      declPrinted = true;
    }
  });
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

// ── Comment placement ────────────────────────────────────────────────────────────────────────

/** One printed line (or group of lines) of a block, with where it was in the source. */
type Entry =
  | {
      readonly kind: "comment";
      readonly text: string;
      /** The item this comment leads, or undefined after the last item. */
      readonly owner: number | undefined;
      readonly pos: number;
      readonly end: number;
    }
  | {
      readonly kind: "item";
      readonly index: number;
      trailing: string | undefined;
      readonly pos: number;
      end: number;
    };

/**
 * Places the comments of one block (a body, or the program) among its items. A comment inside
 * an item moves before it, at the item's start, so blank lines are counted as if it had been
 * written there. `inBlock`: a comment on the line of the opening `{` trails the header.
 */
function layout(
  text: string,
  items: readonly { readonly span: A.Span }[],
  comments: readonly A.Comment[],
  regionStart: number,
  inBlock: boolean,
): { entries: Entry[]; headerTrailing: string | undefined } {
  const entries: Entry[] = items.map((item, index) => ({
    kind: "item",
    index,
    trailing: undefined,
    pos: item.span.start,
    end: item.span.end,
  }));
  const itemEntries = [...entries] as Extract<Entry, { kind: "item" }>[];
  let headerTrailing: string | undefined;
  for (const c of comments) {
    const content = c.text.trimEnd();
    const start = c.span.start;
    const inside = items.findIndex((it) => it.span.start <= start && start < it.span.end);
    if (inside >= 0) {
      const at = items[inside]!.span.start;
      entries.push({ kind: "comment", text: content, owner: inside, pos: at, end: at });
      continue;
    }
    let prev = -1;
    items.forEach((it, i) => {
      if (it.span.end <= start) prev = i;
    });
    const prevEnd = prev >= 0 ? items[prev]!.span.end : regionStart;
    const sameLine = !text.slice(prevEnd, start).includes("\n");
    if (sameLine && prev >= 0) {
      const entry = itemEntries[prev]!;
      entry.trailing = content;
      entry.end = c.span.end;
      continue;
    }
    if (sameLine && inBlock) {
      headerTrailing = content;
      continue;
    }
    const next = items.findIndex((it) => it.span.start >= c.span.end);
    entries.push({
      kind: "comment",
      text: content,
      owner: next >= 0 ? next : undefined,
      pos: start,
      end: c.span.end,
    });
  }
  // Stable sort: at one position, moved comments (pushed later) still come before their item.
  const rank = (e: Entry): number => (e.kind === "comment" ? 0 : 1);
  entries.sort((a, b) => a.pos - b.pos || rank(a) - rank(b));
  return { entries, headerTrailing };
}

/** Whether the source has a blank line between two consecutive entries. */
function blankBetween(text: string, prev: Entry, next: Entry): boolean {
  let newlines = 0;
  for (let i = prev.end; i < next.pos; i++) if (text.charCodeAt(i) === 10) newlines++;
  return newlines >= 2;
}
