/**
 * The abstract syntax tree of a `.rnn` program.
 *
 * Plain, immutable data: every node carries its `span` (offsets into the source text; line and
 * column are computed only when a diagnostic is printed). Nothing here knows about tensors.
 * Two trees are "equal up to spans" when they are equal after `stripSpans` (dsl/ast-equal.ts).
 */

/** Half-open range of character offsets `[start, end)` in one source text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Ident {
  readonly name: string;
  readonly span: Span;
}

// ── Expressions ──────────────────────────────────────────────────────────────────────────────

export type BinaryOp = "+" | "-" | "*" | "/";

export interface NumberLit {
  readonly kind: "number";
  readonly value: number;
  /** The literal as written (`1e-5`, `0.50`), so the formatter keeps the author's spelling. */
  readonly text: string;
  readonly isInteger: boolean;
  readonly span: Span;
}

export interface BoolLit {
  readonly kind: "bool";
  readonly value: boolean;
  readonly span: Span;
}

/** A name; `primed` is the next-state form `h'`. */
export interface NameRef {
  readonly kind: "name";
  readonly name: string;
  readonly primed: boolean;
  readonly span: Span;
}

/** A positional (`name` undefined) or named (`out: H`) argument. */
export interface Arg {
  readonly name: Ident | undefined;
  readonly value: Expr;
  readonly span: Span;
}

export interface Call {
  readonly kind: "call";
  readonly callee: Ident;
  readonly args: readonly Arg[];
  readonly span: Span;
}

export interface Binary {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

export interface Unary {
  readonly kind: "unary";
  readonly op: "-";
  readonly operand: Expr;
  readonly span: Span;
}

/** `enc.final`, `dec.tokens` */
export interface Field {
  readonly kind: "field";
  readonly object: Expr;
  readonly field: Ident;
  readonly span: Span;
}

export type Expr = NumberLit | BoolLit | NameRef | Call | Binary | Unary | Field;

/** `[H]`, `[T, 10]`, `[4 * H]`: each dimension is a number, a size symbol or arithmetic of them. */
export interface Shape {
  readonly dims: readonly Expr[];
  readonly span: Span;
}

// ── Statements ───────────────────────────────────────────────────────────────────────────────

/** One name in `input x`, `input tokens: int[T]`, `input label: float[1] for training`. */
export interface InputDecl {
  readonly name: Ident;
  /** `int` or `float`; required in models, absent in cells. */
  readonly dtype: Ident | undefined;
  /** Optional in cells (the input size is then a fresh symbol), required in models. */
  readonly shape: Shape | undefined;
  /** `for training`: only needed when training (targets, teacher tokens). */
  readonly training: boolean;
  readonly span: Span;
}

export interface InputStmt {
  readonly kind: "input";
  readonly decls: readonly InputDecl[];
  readonly span: Span;
}

export interface StateDecl {
  readonly name: Ident;
  readonly shape: Shape;
  readonly span: Span;
}

/** `state h: [H], c: [H]` */
export interface StateStmt {
  readonly kind: "state";
  readonly decls: readonly StateDecl[];
  readonly span: Span;
}

export interface ParamDecl {
  readonly name: Ident;
  readonly shape: Shape;
  /** Initialiser name after `=` (`zeros`, `ones`, `uniform`, `normal`); default `uniform`. */
  readonly init: Ident | undefined;
  readonly span: Span;
}

/** `param p_i: [H], g: [H] = ones` */
export interface ParamStmt {
  readonly kind: "param";
  readonly decls: readonly ParamDecl[];
  readonly span: Span;
}

/** A binding target: `i`, `h'`. */
export interface Target {
  readonly name: string;
  readonly primed: boolean;
  readonly span: Span;
}

/** `i = sigmoid(...)`, `c' = ...`, `r, z = split(v, 2)` */
export interface AssignStmt {
  readonly kind: "assign";
  readonly targets: readonly Target[];
  readonly value: Expr;
  readonly span: Span;
}

/** `output prob = sigmoid(logit)` (models; a cell may name one output too). */
export interface OutputStmt {
  readonly kind: "output";
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** `loss cross_entropy(dec.logits, phones, ignore: 0)` (models only). */
export interface LossStmt {
  readonly kind: "loss";
  readonly value: Expr;
  readonly span: Span;
}

export type Stmt = InputStmt | StateStmt | ParamStmt | AssignStmt | OutputStmt | LossStmt;

// ── Declarations ─────────────────────────────────────────────────────────────────────────────

/**
 * A cell header parameter: a size (`hidden: H`, bound by callers as `hidden: 256`, used in the
 * body as `H`) or a scalar with a default (`eps = 1e-5`, used in the body as `eps`).
 */
export interface CellParam {
  readonly name: Ident;
  readonly symbol: Ident | undefined;
  readonly default: NumberLit | undefined;
  readonly span: Span;
}

export interface CellDecl {
  readonly kind: "cell";
  readonly name: Ident;
  readonly params: readonly CellParam[];
  readonly body: readonly Stmt[];
  /** The `{ ... }` block, for "unterminated block" and "missing ..." diagnostics. */
  readonly bodySpan: Span;
  readonly span: Span;
}

export interface ModelDecl {
  readonly kind: "model";
  readonly name: Ident;
  readonly body: readonly Stmt[];
  readonly bodySpan: Span;
  readonly span: Span;
}

export type Decl = CellDecl | ModelDecl;

export interface Program {
  readonly decls: readonly Decl[];
  readonly span: Span;
}

/** A `# ...` comment, kept beside the tree so the formatter can put it back. */
export interface Comment {
  readonly text: string;
  readonly span: Span;
}
