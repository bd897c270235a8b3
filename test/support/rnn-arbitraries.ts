// fast-check arbitraries for `.rnn` programs, shared by the property tests:
// - `rnnDocument`: a random well-formed program as an AST, printed by `printNaive` (every
//   compound expression parenthesised, random whitespace, comments between statements and
//   anywhere else a line may end), so that parsing is tested independently of dsl/format.ts;
// - `mutatedRnnText`: a realistic valid file after a few random edits (deleted, duplicated,
//   swapped or inserted characters and tokens, truncation, stray brackets). Reuse it for any
//   "never throws, every diagnostic is positioned" property (the semantic checker's too);
// - `relaidRnnText`: a valid file with line breaks and comments added between tokens.
// Generated spans are all {0, 0}: compare trees with dsl/ast-equal.ts.
import fc from "fast-check";
import type * as A from "../../dsl/ast.ts";
import type { Diagnostic } from "../../dsl/diagnostic.ts";
import { KEYWORDS } from "../../dsl/tokens.ts";

const NO_SPAN: A.Span = { start: 0, end: 0 };

type NoSpan<T> = T extends unknown ? Omit<T, "span"> : never;

/** A node of type `T` (a union works too) with an empty span. */
const node = <T>(fields: NoSpan<T>): T => ({ ...fields, span: NO_SPAN }) as T;
const ident = (name: string): A.Ident => ({ name, span: NO_SPAN });
const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.option(arb, { nil: undefined });

// ── Names and literals ───────────────────────────────────────────────────────────────────────

const keywordSet = new Set(KEYWORDS);

/** A name that is not a keyword; includes keyword look-alikes (`cells`, `for_x`, `training2`). */
export const identifier: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("x", "h", "c", "H", "T", "i", "enc", "sigmoid", "linear", "lstm", "_", "a1"),
  fc.constantFrom("cells", "inputs", "for_x", "training2", "true_", "falsey", "lossy", "Model"),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,7}$/).filter((s) => !keywordSet.has(s)),
);

/** Option names (`cell: lstm(...)`) and primed names (`state'` is one token) may be keywords. */
const nameOrKeyword: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: identifier },
  { weight: 1, arbitrary: fc.constantFrom(...KEYWORDS) },
);

/** Valid number literal texts: `3`, `007`, `0.5`, `1e-5`, `2.5E+3`. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("0", "1", "3", "007", "0.5", "1e-5", "2.5E+3", "256", "1e400"),
  fc.stringMatching(/^\d{1,3}(\.\d{1,3})?([eE][+-]?\d{1,2})?$/),
);

function numberLit(text: string): A.NumberLit {
  return node<A.NumberLit>({
    kind: "number",
    value: Number(text),
    text,
    isInteger: /^\d+$/.test(text),
  });
}

// ── Expressions ──────────────────────────────────────────────────────────────────────────────

const leaf: fc.Arbitrary<A.Expr> = fc.oneof(
  { weight: 3, arbitrary: numberText.map(numberLit) },
  { weight: 1, arbitrary: fc.boolean().map((value) => node<A.Expr>({ kind: "bool", value })) },
  {
    weight: 4,
    arbitrary: identifier.map((name) => node<A.Expr>({ kind: "name", name, primed: false })),
  },
  {
    weight: 2,
    arbitrary: nameOrKeyword.map((name) => node<A.Expr>({ kind: "name", name, primed: true })),
  },
);

const exprCache = new Map<number, fc.Arbitrary<A.Expr>>();

/** Expressions of every kind, nested at most `depth` deep. */
export function expression(depth = 4): fc.Arbitrary<A.Expr> {
  const cached = exprCache.get(depth);
  if (cached) return cached;
  if (depth <= 0) return leaf;
  const sub = expression(depth - 1);
  const arg = fc
    .tuple(optional(nameOrKeyword), sub)
    .map(([name, value]) =>
      node<A.Arg>({ name: name === undefined ? undefined : ident(name), value }),
    );
  const op = fc.constantFrom<A.BinaryOp>("+", "-", "*", "/");
  const arb = fc.oneof(
    { weight: 3, arbitrary: leaf },
    {
      weight: 3,
      arbitrary: fc
        .tuple(op, sub, sub)
        .map(([op, left, right]) => node<A.Expr>({ kind: "binary", op, left, right })),
    },
    {
      weight: 1,
      arbitrary: sub.map((operand) => node<A.Expr>({ kind: "unary", op: "-", operand })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(sub, identifier)
        .map(([object, f]) => node<A.Expr>({ kind: "field", object, field: ident(f) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(identifier, fc.array(arg, { maxLength: 4 }))
        .map(([callee, args]) => node<A.Expr>({ kind: "call", callee: ident(callee), args })),
    },
  );
  exprCache.set(depth, arb);
  return arb;
}

// ── Statements and declarations ──────────────────────────────────────────────────────────────

const shape: fc.Arbitrary<A.Shape> = fc
  .array(expression(2), { maxLength: 3 })
  .map((dims) => node<A.Shape>({ dims }));

const inputDecl: fc.Arbitrary<A.InputDecl> = fc
  .tuple(identifier, fc.integer({ min: 0, max: 2 }), identifier, shape, fc.boolean())
  .map(([name, typing, dtype, s, training]) =>
    node<A.InputDecl>({
      name: ident(name),
      dtype: typing === 2 ? ident(dtype) : undefined,
      shape: typing >= 1 ? s : undefined,
      training,
    }),
  );

const decls = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
  fc.array(arb, { minLength: 1, maxLength: 3 });

const stateDecl = fc
  .tuple(identifier, shape)
  .map(([name, s]) => node<A.StateDecl>({ name: ident(name), shape: s }));

const paramDecl = fc.tuple(identifier, shape, optional(identifier)).map(([name, s, init]) =>
  node<A.ParamDecl>({
    name: ident(name),
    shape: s,
    init: init === undefined ? undefined : ident(init),
  }),
);

const target = fc
  .tuple(fc.boolean(), nameOrKeyword, identifier)
  .map(([primed, p, n]) => node<A.Target>({ name: primed ? p : n, primed }));

export const statement: fc.Arbitrary<A.Stmt> = fc.oneof(
  decls(inputDecl).map((d) => node<A.Stmt>({ kind: "input", decls: d })),
  decls(stateDecl).map((d) => node<A.Stmt>({ kind: "state", decls: d })),
  decls(paramDecl).map((d) => node<A.Stmt>({ kind: "param", decls: d })),
  {
    weight: 4,
    arbitrary: fc
      .tuple(decls(target), expression())
      .map(([targets, value]) => node<A.Stmt>({ kind: "assign", targets, value })),
  },
  fc
    .tuple(identifier, expression())
    .map(([name, value]) => node<A.Stmt>({ kind: "output", name: ident(name), value })),
  expression().map((value) => node<A.Stmt>({ kind: "loss", value })),
);

const cellParam: fc.Arbitrary<A.CellParam> = fc
  .tuple(identifier, fc.boolean(), identifier, fc.boolean(), numberText)
  .map(([name, isSize, symbol, negative, text]) => {
    const lit = numberLit(text);
    const fallback = negative ? { ...lit, value: -lit.value, text: `-${text}` } : lit;
    return node<A.CellParam>({
      name: ident(name),
      symbol: isSize ? ident(symbol) : undefined,
      default: isSize ? undefined : fallback,
    });
  });

const body = fc.array(statement, { maxLength: 6 });

export const declaration: fc.Arbitrary<A.Decl> = fc.oneof(
  fc
    .tuple(identifier, fc.array(cellParam, { maxLength: 3 }), body)
    .map(([name, params, stmts]) =>
      node<A.Decl>({ kind: "cell", name: ident(name), params, body: stmts, bodySpan: NO_SPAN }),
    ),
  fc
    .tuple(identifier, body)
    .map(([name, stmts]) =>
      node<A.Decl>({ kind: "model", name: ident(name), body: stmts, bodySpan: NO_SPAN }),
    ),
);

export const program: fc.Arbitrary<A.Program> = fc
  .array(declaration, { maxLength: 3 })
  .map((d) => node<A.Program>({ decls: d }));

// ── The naive printer ────────────────────────────────────────────────────────────────────────

/** Marks a gap between statements or declarations, where comments usually go; not a token. */
const BOUNDARY = "\u0000";
type Piece = string;

const commaList = <T>(items: readonly T[], each: (item: T) => Piece[]): Piece[] =>
  items.flatMap((item, i) => (i > 0 ? [",", ...each(item)] : each(item)));

const primed = (n: { name: string; primed: boolean }): string => (n.primed ? `${n.name}'` : n.name);

function exprPieces(e: A.Expr): Piece[] {
  switch (e.kind) {
    case "number":
      return [e.text];
    case "bool":
      return [String(e.value)];
    case "name":
      return [primed(e)];
    case "call": {
      const arg = (a: A.Arg): Piece[] => [
        ...(a.name ? [a.name.name, ":"] : []),
        ...exprPieces(a.value),
      ];
      return [e.callee.name, "(", ...commaList(e.args, arg), ")"];
    }
    case "binary":
      return ["(", ...exprPieces(e.left), e.op, ...exprPieces(e.right), ")"];
    case "unary":
      return ["(", "-", ...exprPieces(e.operand), ")"];
    case "field":
      return ["(", ...exprPieces(e.object), ")", ".", e.field.name];
  }
}

const shapePieces = (s: A.Shape): Piece[] => ["[", ...commaList(s.dims, exprPieces), "]"];

function stmtPieces(s: A.Stmt): Piece[] {
  switch (s.kind) {
    case "input":
      return [
        "input",
        ...commaList(s.decls, (d) => [
          d.name.name,
          ...(d.shape ? [":", ...(d.dtype ? [d.dtype.name] : []), ...shapePieces(d.shape)] : []),
          ...(d.training ? ["for", "training"] : []),
        ]),
      ];
    case "state":
      return ["state", ...commaList(s.decls, (d) => [d.name.name, ":", ...shapePieces(d.shape)])];
    case "param":
      return [
        "param",
        ...commaList(s.decls, (d) => [
          d.name.name,
          ":",
          ...shapePieces(d.shape),
          ...(d.init ? ["=", d.init.name] : []),
        ]),
      ];
    case "assign":
      return [...commaList(s.targets, (t) => [primed(t)]), "=", ...exprPieces(s.value)];
    case "output":
      return ["output", s.name.name, "=", ...exprPieces(s.value)];
    case "loss":
      return ["loss", ...exprPieces(s.value)];
  }
}

function declPieces(d: A.Decl): Piece[] {
  const param = (q: A.CellParam): Piece[] =>
    q.symbol
      ? [q.name.name, ":", q.symbol.name]
      : [q.name.name, "=", ...q.default!.text.replace(/^-/, "- ").split(" ")];
  const head =
    d.kind === "cell"
      ? ["cell", d.name.name, "(", ...commaList(d.params, param), ")"]
      : ["model", d.name.name];
  return [
    ...head,
    "{",
    BOUNDARY,
    ...d.body.flatMap((s) => [...stmtPieces(s), BOUNDARY]),
    "}",
    BOUNDARY,
  ];
}

/** Where comments go in a naive printing: `gap` counts token gaps (or boundaries) modulo. */
export interface CommentPlacement {
  readonly atBoundary: boolean;
  readonly gap: number;
  readonly text: string;
  /** Put the comment after code on the same line (else on a line of its own). */
  readonly trailing: boolean;
}

export const commentText: fc.Arbitrary<string> = fc
  .string({ maxLength: 20, unit: fc.constantFrom(..."abc XYZ01#'\"(){}[]=:-é✓\t") })
  .map((s) => `#${s}`);

export const commentPlacement: fc.Arbitrary<CommentPlacement> = fc.record({
  atBoundary: fc.boolean(),
  gap: fc.nat(),
  text: commentText,
  trailing: fc.boolean(),
});

export const whitespace: fc.Arbitrary<string[]> = fc.array(
  fc.constantFrom(" ", "  ", "\n", "\n\n", "\t", " \n  ", "\n\n\n", "\r\n"),
  { minLength: 1, maxLength: 8 },
);

/**
 * Prints `program` with every compound expression in parentheses, the gaps between tokens
 * taken in turn from `ws`, and the comments placed as asked. Returns the text and the
 * comments in the order they appear.
 */
export function printNaive(
  p: A.Program,
  ws: readonly string[],
  placements: readonly CommentPlacement[],
): { text: string; comments: string[] } {
  const pieces = [BOUNDARY, ...p.decls.flatMap(declPieces)];
  const tokens = pieces.filter((x) => x !== BOUNDARY);
  // Gap g lies before token g; gap tokens.length is the end of the file.
  const boundaries: number[] = [];
  let count = 0;
  for (const piece of pieces) {
    if (piece === BOUNDARY) boundaries.push(count);
    else count++;
  }
  const at = new Map<number, CommentPlacement[]>();
  for (const c of placements) {
    const gap = c.atBoundary ? boundaries[c.gap % boundaries.length]! : c.gap % (tokens.length + 1);
    at.set(gap, [...(at.get(gap) ?? []), c]);
  }
  let text = "";
  const comments: string[] = [];
  for (let g = 0; g <= tokens.length; g++) {
    for (const c of at.get(g) ?? []) {
      text += `${c.trailing ? " " : "\n"}${c.text}\n`;
      comments.push(c.text);
    }
    const token = tokens[g];
    if (token === undefined) break;
    text += (g > 0 ? ws[g % ws.length]! : "") + token;
  }
  return { text, comments };
}

export interface RnnDocument {
  readonly program: A.Program;
  readonly text: string;
  readonly comments: readonly string[];
}

export const rnnDocument: fc.Arbitrary<RnnDocument> = fc
  .tuple(program, whitespace, fc.array(commentPlacement, { maxLength: 5 }))
  .map(([p, ws, placements]) => ({ program: p, ...printNaive(p, ws, placements) }));

// ── Mutations of valid files ─────────────────────────────────────────────────────────────────

/** Realistic valid files, comments included. */
export const validRnnTexts: readonly string[] = [
  `# torch.nn.LSTM, gate order i, f, g, o
cell lstm(hidden: H) {
  input x
  state h: [H], c: [H]

  i = sigmoid(linear(x) + linear(h))
  f = sigmoid(linear(x) + linear(h))
  g = tanh(linear(x) + linear(h))
  o = sigmoid(linear(x) + linear(h))

  c' = f * c + i * g # the cell state
  h' = o * tanh(c')
}
`,
  `cell gru(hidden: H) {
  input x
  state h: [H]
  r = sigmoid(linear(x) + linear(h))
  z = sigmoid(linear(x) + linear(h))
  n = tanh(linear(x) + r * linear(h))
  h' = (1 - z) * n + z * h
}

cell ln_lstm(hidden: H, eps = 1e-5, floor = -0.5) {
  input x: [4 * H]
  state h: [H], c: [H]
  param g: [H] = ones, b: [H] = zeros
  gates = layernorm(linear(x, out: 4 * H, bias: false)) + layernorm(linear(h, out: 4 * H))
  i, f, g2, o = split(gates, 4)
  c' = sigmoid(f) * c + sigmoid(i) * tanh(g2)
  h' = sigmoid(o) * tanh(layernorm(c', eps: eps)) * g + b - -(2.5E+3 / (H - 1))
}
`,
  `model sentiment {
  input tokens: int[T]
  input label: float[1] for training

  e = embedding(tokens, vocab: 10000, dim: 100)
  enc = encode(e, cell: lstm(hidden: 256), layers: 2, bidirectional, dropout: 0.5)
  logit = linear(dropout(enc.final, 0.5), 1) # many-to-one

  output prob = sigmoid(logit)
  loss bce_with_logits(logit, label)
}

model g2p { # encoder-decoder
  input letters: int[S], phones: int[T] for training
  enc = encode(embedding(letters, vocab: 30, dim: 64), cell: lstm(hidden: 256), bidirectional)
  dec = decode(
    from: enc,
    cell: lstm(hidden: 256),
    attention: luong,
    vocab: 42,
    bos: 1,
    eos: 2,
    teacher: phones
  )
  output phonemes = dec.tokens
  loss cross_entropy(dec.logits, phones, ignore: 0)
  # trailing block comment
}
# end of file
`,
];

// Tokens (and near-tokens) to insert: every keyword and punctuation mark, malformed numbers,
// comments, line breaks, characters the lexer rejects.
const vocabulary: readonly string[] = [
  ...KEYWORDS,
  ...["x", "h'", "c'", "H", "lstm", "sigmoid", "0", "1e-5", "2.5E+3", "3H", "1.2.3", "1e"],
  ...["(", ")", "{", "}", "[", "]", ",", ":", "=", "+", "-", "*", "/", ".", "'"],
  ...["#", "# c\n", "\n", " ", "\t", "\r\n", "@", '"', "é", "\u0000"],
];

/** Edits that keep a valid file valid most of the time: line breaks and comments. */
const layoutEdits: readonly string[] = ["\n", "\n\n", "  ", "\t", " # note\n", "\n# c\n", "#\n"];

type Mutation =
  | { readonly op: "delete" | "duplicate" | "truncate"; readonly pos: number; readonly len: number }
  | { readonly op: "swap"; readonly pos: number; readonly len: number; readonly to: number }
  | { readonly op: "insert"; readonly pos: number; readonly text: string }
  | { readonly op: "deleteToken" | "duplicateToken"; readonly at: number }
  | { readonly op: "swapTokens"; readonly at: number; readonly to: number }
  | { readonly op: "insertBetweenTokens"; readonly at: number; readonly text: string };

const insertion = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...vocabulary) },
  { weight: 1, arbitrary: fc.constantFrom("(", ")", "[", "]", "{", "}") },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 2, unit: "binary" }) },
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constantFrom("delete", "duplicate", "truncate"),
    pos: fc.nat(),
    len: fc.integer({ min: 1, max: 12 }),
  }),
  fc.record({
    op: fc.constant("swap"),
    pos: fc.nat(),
    len: fc.integer({ min: 1, max: 12 }),
    to: fc.nat(),
  }),
  fc.record({ op: fc.constant("insert"), pos: fc.nat(), text: insertion }),
  fc.record({ op: fc.constantFrom("deleteToken", "duplicateToken"), at: fc.nat() }),
  fc.record({ op: fc.constant("swapTokens"), at: fc.nat(), to: fc.nat() }),
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("insertBetweenTokens"),
      at: fc.nat(),
      text: fc.oneof(insertion, fc.constantFrom(...layoutEdits)),
    }),
  },
);

/** `[start, end)` of each token-like run (a rough lexer: names, numbers, comments, marks). */
function tokenRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const m of text.matchAll(
    /[A-Za-z_]\w*'?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[\w.']*|#[^\n]*|\S/g,
  )) {
    ranges.push([m.index, m.index + m[0].length]);
  }
  return ranges;
}

function mutate(text: string, m: Mutation): string {
  if ("at" in m) return mutateTokens(text, m);
  const pos = m.pos % (text.length + 1);
  switch (m.op) {
    case "delete":
      return text.slice(0, pos) + text.slice(pos + m.len);
    case "duplicate":
      return text.slice(0, pos + m.len) + text.slice(pos, pos + m.len) + text.slice(pos + m.len);
    case "truncate":
      return text.slice(0, pos);
    case "insert":
      return text.slice(0, pos) + m.text + text.slice(pos);
    case "swap":
      return swap(text, pos, m.to % (text.length + 1), m.len);
  }
}

/** Exchanges `[p, p + len)` with `[q, q + len)`, shortened so that they do not overlap. */
function swap(text: string, x: number, y: number, len: number): string {
  const [p, q] = [Math.min(x, y), Math.max(x, y)];
  const n = Math.min(len, q - p);
  const [a, b] = [text.slice(p, p + n), text.slice(q, q + n)];
  return text.slice(0, p) + b + text.slice(p + n, q) + a + text.slice(q + n);
}

function mutateTokens(text: string, m: Extract<Mutation, { at: number }>): string {
  const ranges = tokenRanges(text);
  if (ranges.length === 0) return text;
  const [start, end] = ranges[m.at % ranges.length]!;
  switch (m.op) {
    case "deleteToken":
      return text.slice(0, start) + text.slice(end);
    case "duplicateToken":
      return `${text.slice(0, end)} ${text.slice(start)}`;
    case "insertBetweenTokens":
      return `${text.slice(0, end)}${m.text}${text.slice(end)}`;
    case "swapTokens": {
      const [s2, e2] = ranges[m.to % ranges.length]!;
      const [first, second] =
        start < s2
          ? [
              [start, end],
              [s2, e2],
            ]
          : [
              [s2, e2],
              [start, end],
            ];
      const [a0, a1] = first as [number, number];
      const [b0, b1] = second as [number, number];
      if (a0 === b0) return text;
      return (
        text.slice(0, a0) +
        text.slice(b0, b1) +
        text.slice(a1, b0) +
        text.slice(a0, a1) +
        text.slice(b1)
      );
    }
  }
}

/** A valid file (from `validRnnTexts`) after 1 to 4 random edits of characters or tokens. */
export const mutatedRnnText: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: validRnnTexts.length - 1 }),
    fc.array(mutation, { minLength: 1, maxLength: 4 }),
  )
  .map(([i, ms]) => ms.reduce(mutate, validRnnTexts[i]!));

/** A valid file with 1 to 6 line breaks or comments inserted between tokens: still valid. */
export const relaidRnnText: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: validRnnTexts.length - 1 }),
    fc.array(
      fc.record({
        op: fc.constant("insertBetweenTokens" as const),
        at: fc.nat(),
        text: fc.constantFrom(...layoutEdits),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([i, ms]) => ms.reduce(mutateTokens, validRnnTexts[i]!));

// ── Checks shared by properties ──────────────────────────────────────────────────────────────

/**
 * Throws unless every diagnostic has a code matching `code` and its span (and its notes'
 * spans) lies inside `[0, text.length]`.
 */
export function assertPositioned(
  diagnostics: readonly Diagnostic[],
  text: string,
  code: RegExp,
): void {
  const inside = (s: A.Span): boolean => 0 <= s.start && s.start <= s.end && s.end <= text.length;
  for (const d of diagnostics) {
    if (!code.test(d.code)) throw new Error(`unexpected code ${d.code}: ${d.message}`);
    if (!inside(d.span)) {
      throw new Error(`${d.code} span ${JSON.stringify(d.span)} outside [0, ${text.length}]`);
    }
    for (const note of d.notes ?? []) {
      if (note.span && !inside(note.span)) {
        throw new Error(`${d.code} note span ${JSON.stringify(note.span)} outside the text`);
      }
    }
  }
}
