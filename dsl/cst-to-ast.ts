/**
 * CST → AST. Walks chevrotain's concrete syntax tree (dsl/parser.ts) and builds the plain
 * AST (dsl/ast.ts) with a span on every node. Runs only on a CST that parsed without errors,
 * so every child the grammar requires is present; `one()` guards that assumption anyway.
 */
import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "./ast.ts";

type Children = CstNode["children"];

function isToken(element: CstElement): element is IToken {
  return "image" in element;
}

function all(children: Children, key: string): CstElement[] {
  return children[key] ?? [];
}

function tokens(children: Children, key: string): IToken[] {
  return all(children, key).filter(isToken);
}

function nodes(children: Children, key: string): CstNode[] {
  return all(children, key).filter((e): e is CstNode => !isToken(e));
}

function one<T>(items: T[], what: string): T {
  const first = items[0];
  if (first === undefined) throw new Error(`internal: CST lacks ${what}`);
  return first;
}

function tokenSpan(token: IToken): A.Span {
  return { start: token.startOffset, end: (token.endOffset ?? token.startOffset) + 1 };
}

function join(a: A.Span, b: A.Span): A.Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** The span of a CST node: from its first token to its last. */
function nodeSpan(node: CstNode): A.Span {
  let start = Infinity;
  let end = -Infinity;
  const visit = (n: CstNode): void => {
    for (const list of Object.values(n.children)) {
      for (const e of list) {
        if (isToken(e)) {
          if (Number.isNaN(e.startOffset)) continue;
          const s = tokenSpan(e);
          start = Math.min(start, s.start);
          end = Math.max(end, s.end);
        } else visit(e);
      }
    }
  };
  visit(node);
  return Number.isFinite(start) ? { start, end } : { start: 0, end: 0 };
}

function ident(token: IToken): A.Ident {
  return { name: token.image, span: tokenSpan(token) };
}

export function programFromCst(cst: CstNode): A.Program {
  const decls: A.Decl[] = [];
  const items = [...nodes(cst.children, "cellDecl"), ...nodes(cst.children, "modelDecl")].sort(
    (a, b) => nodeSpan(a).start - nodeSpan(b).start,
  );
  for (const item of items) {
    decls.push(item.name === "cellDecl" ? cellDecl(item) : modelDecl(item));
  }
  return { decls, span: nodeSpan(cst) };
}

function cellDecl(node: CstNode): A.CellDecl {
  const c = node.children;
  const block = one(nodes(c, "block"), "cell block");
  return {
    kind: "cell",
    name: ident(one(tokens(c, "Identifier"), "cell name")),
    params: nodes(c, "cellParam").map(cellParam),
    body: statements(block),
    bodySpan: nodeSpan(block),
    span: nodeSpan(node),
  };
}

function cellParam(node: CstNode): A.CellParam {
  const c = node.children;
  const name = ident(one(tokens(c, "Identifier"), "parameter name"));
  const symbol = tokens(c, "symbol")[0];
  const number = tokens(c, "NumberLiteral")[0];
  const minus = tokens(c, "Minus")[0];
  let fallback: A.NumberLit | undefined;
  if (number) {
    const lit = numberLit(number);
    fallback = minus
      ? { ...lit, value: -lit.value, text: `-${lit.text}`, span: join(tokenSpan(minus), lit.span) }
      : lit;
  }
  return {
    name,
    symbol: symbol ? ident(symbol) : undefined,
    default: fallback,
    span: nodeSpan(node),
  };
}

function modelDecl(node: CstNode): A.ModelDecl {
  const c = node.children;
  const block = one(nodes(c, "block"), "model block");
  return {
    kind: "model",
    name: ident(one(tokens(c, "Identifier"), "model name")),
    body: statements(block),
    bodySpan: nodeSpan(block),
    span: nodeSpan(node),
  };
}

function statements(block: CstNode): A.Stmt[] {
  return nodes(block.children, "statement").map((s) => {
    const inner = Object.values(s.children)[0]?.[0];
    if (!inner || isToken(inner)) throw new Error("internal: empty statement");
    return statement(inner);
  });
}

function statement(node: CstNode): A.Stmt {
  const c = node.children;
  const span = nodeSpan(node);
  switch (node.name) {
    case "inputStmt":
      return { kind: "input", decls: nodes(c, "inputDecl").map(inputDecl), span };
    case "stateStmt":
      return { kind: "state", decls: nodes(c, "stateDecl").map(stateDecl), span };
    case "paramStmt":
      return { kind: "param", decls: nodes(c, "paramDecl").map(paramDecl), span };
    case "outputStmt":
      return {
        kind: "output",
        name: ident(one(tokens(c, "Identifier"), "output name")),
        value: expr(one(nodes(c, "expr"), "output value")),
        span,
      };
    case "lossStmt":
      return { kind: "loss", value: expr(one(nodes(c, "expr"), "loss")), span };
    case "assignStmt":
      return {
        kind: "assign",
        targets: nodes(c, "target").map(target),
        value: expr(one(nodes(c, "expr"), "assigned value")),
        span,
      };
    default:
      throw new Error(`internal: unknown statement ${node.name}`);
  }
}

function inputDecl(node: CstNode): A.InputDecl {
  const c = node.children;
  const dtype = tokens(c, "dtype")[0];
  const shapeNode = nodes(c, "shape")[0];
  return {
    name: ident(one(tokens(c, "Identifier"), "input name")),
    dtype: dtype ? ident(dtype) : undefined,
    shape: shapeNode ? shape(shapeNode) : undefined,
    training: tokens(c, "For").length > 0,
    span: nodeSpan(node),
  };
}

function stateDecl(node: CstNode): A.StateDecl {
  const c = node.children;
  return {
    name: ident(one(tokens(c, "Identifier"), "state name")),
    shape: shape(one(nodes(c, "shape"), "state shape")),
    span: nodeSpan(node),
  };
}

function paramDecl(node: CstNode): A.ParamDecl {
  const c = node.children;
  const init = tokens(c, "init")[0];
  return {
    name: ident(one(tokens(c, "Identifier"), "param name")),
    shape: shape(one(nodes(c, "shape"), "param shape")),
    init: init ? ident(init) : undefined,
    span: nodeSpan(node),
  };
}

function target(node: CstNode): A.Target {
  const plain = tokens(node.children, "Identifier")[0];
  if (plain) return { name: plain.image, primed: false, span: tokenSpan(plain) };
  const primed = one(tokens(node.children, "PrimedIdentifier"), "target");
  return { name: primed.image.slice(0, -1), primed: true, span: tokenSpan(primed) };
}

function shape(node: CstNode): A.Shape {
  return { dims: nodes(node.children, "expr").map(expr), span: nodeSpan(node) };
}

/** Left-associative chain `a op b op c` from the labelled operand/operator lists. */
function chain(node: CstNode, operand: (n: CstNode) => A.Expr): A.Expr {
  const operands = nodes(node.children, "operands");
  const operators = tokens(node.children, "operators");
  let result = operand(one(operands, "operand"));
  operators.forEach((op, i) => {
    const right = operand(one(operands.slice(i + 1, i + 2), "right operand"));
    result = {
      kind: "binary",
      op: op.image as A.BinaryOp,
      left: result,
      right,
      span: join(result.span, right.span),
    };
  });
  return result;
}

function expr(node: CstNode): A.Expr {
  return chain(node, term);
}

function term(node: CstNode): A.Expr {
  return chain(node, unary);
}

function unary(node: CstNode): A.Expr {
  const c = node.children;
  const minus = tokens(c, "Minus")[0];
  if (minus) {
    const operand = unary(one(nodes(c, "unary"), "negated operand"));
    return { kind: "unary", op: "-", operand, span: join(tokenSpan(minus), operand.span) };
  }
  return postfix(one(nodes(c, "postfix"), "operand"));
}

function postfix(node: CstNode): A.Expr {
  let result = primary(one(nodes(node.children, "primary"), "primary"));
  for (const field of tokens(node.children, "fields")) {
    const f = ident(field);
    result = { kind: "field", object: result, field: f, span: join(result.span, f.span) };
  }
  return result;
}

function numberLit(token: IToken): A.NumberLit {
  const text = token.image;
  return {
    kind: "number",
    value: Number(text),
    text,
    isInteger: /^\d+$/.test(text),
    span: tokenSpan(token),
  };
}

function primary(node: CstNode): A.Expr {
  const c = node.children;
  const number = tokens(c, "NumberLiteral")[0];
  if (number) return numberLit(number);
  const bool = tokens(c, "True")[0] ?? tokens(c, "False")[0];
  if (bool) return { kind: "bool", value: bool.image === "true", span: tokenSpan(bool) };
  const primed = tokens(c, "PrimedIdentifier")[0];
  if (primed) {
    return { kind: "name", name: primed.image.slice(0, -1), primed: true, span: tokenSpan(primed) };
  }
  const call = nodes(c, "nameOrCall")[0];
  if (call) return nameOrCall(call);
  const inner = expr(one(nodes(c, "expr"), "parenthesised expression"));
  // Parentheses only group; the span widens to include them so carets cover what was written.
  return { ...inner, span: nodeSpan(node) };
}

function nameOrCall(node: CstNode): A.Expr {
  const c = node.children;
  const name = ident(one(tokens(c, "Identifier"), "name"));
  if (tokens(c, "LParen").length === 0) {
    return { kind: "name", name: name.name, primed: false, span: name.span };
  }
  return { kind: "call", callee: name, args: nodes(c, "arg").map(arg), span: nodeSpan(node) };
}

function arg(node: CstNode): A.Arg {
  const c = node.children;
  const name = tokens(c, "argName")[0];
  return {
    name: name ? ident(name) : undefined,
    value: expr(one(nodes(c, "expr"), "argument value")),
    span: nodeSpan(node),
  };
}
