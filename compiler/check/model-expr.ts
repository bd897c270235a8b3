/**
 * Types of expressions in a model body, and the model functions that act step by step on
 * tensors (linear, embedding, dropout, layernorm, concat, last, softmax, activations). The
 * sequence functions (encode, decode, generate) live in sequence.ts.
 */
import type { Call, Expr } from "../../dsl/ast.ts";
import { bindArgs, readBool, readInteger, readNumber } from "./args.ts";
import { ACTIVATIONS, CELL_FUNCTIONS, isActivation, MODEL_CALLABLE } from "./builtins.ts";
import type { ModelScope } from "./model-scope.ts";
import { formatType, tensor, type ModelType, type Origin, type Tensor } from "./model-types.ts";
import { refKey } from "./order.ts";
import { checkSequenceCall } from "./sequence.ts";
import { didYouMean } from "./suggest.ts";

function union(...sets: ReadonlySet<Origin>[]): Set<Origin> {
  return new Set(sets.flatMap((s) => [...s]));
}

export function typeOf(scope: ModelScope, expr: Expr): ModelType | undefined {
  const type = typeOfUncached(scope, expr);
  if (type) scope.types.set(expr, type);
  return type;
}

/** The type of a value that must be a tensor (not a record). */
export function tensorOf(scope: ModelScope, expr: Expr, what = "this value"): Tensor | undefined {
  const type = typeOf(scope, expr);
  if (!type) return undefined;
  if (type.kind === "record") {
    const fields = [...type.fields.keys()];
    return scope.report.error(
      "notATensor",
      expr.span,
      `${what} is ${formatType(type)}, not a tensor`,
      `use one of its fields, e.g. ${exprText(expr)}.${fields[0]}`,
    );
  }
  return type;
}

/** A float tensor with at least one feature dimension. */
export function featuresOf(scope: ModelScope, expr: Expr, what: string): Tensor | undefined {
  const t = tensorOf(scope, expr, what);
  if (!t) return undefined;
  if (t.dtype !== "float") {
    return scope.report.error(
      "wrongArgumentType",
      expr.span,
      `${what} must be float vectors, got ${formatType(t)}`,
      "token ids are integers: embed them first, e.g. embedding(tokens, vocab: 1000, dim: 64)",
    );
  }
  if (t.dims.length === 0)
    return scope.report.error(
      "wrongArgumentType",
      expr.span,
      `${what} must be vectors, got ${formatType(t)}`,
    );
  return t;
}

function exprText(expr: Expr): string {
  if (expr.kind === "name") return expr.name;
  if (expr.kind === "field") return `${exprText(expr.object)}.${expr.field.name}`;
  return "value";
}

function typeOfUncached(scope: ModelScope, expr: Expr): ModelType | undefined {
  const report = scope.report;
  switch (expr.kind) {
    case "number":
      return tensor("float", undefined, []);
    case "bool":
      return report.error(
        "wrongArgumentType",
        expr.span,
        "true and false are option values, not tensors",
      );
    case "name": {
      if (expr.primed && scope.names.has(refKey(expr.name, true))) return undefined;
      if (expr.primed)
        return report.error(
          "misplaced",
          expr.span,
          `next-state names like '${expr.name}'' belong in cells`,
          `in a model, write '${expr.name}'`,
        );
      const binding = scope.names.get(expr.name);
      if (!binding) {
        if (scope.order.isDefined(expr.name)) {
          scope.order.checkRead(expr.name, scope.statement, expr.span, report);
          return undefined;
        }
        if (scope.unknownNames.has(expr.name)) return undefined;
        scope.unknownNames.add(expr.name);
        return report.error(
          "unknownName",
          expr.span,
          `unknown name '${expr.name}'`,
          didYouMean(expr.name, scope.names.keys()),
        );
      }
      // Inputs exist before every statement, even when a later one reuses the name (reported).
      if (
        binding.kind !== "input" &&
        !scope.order.checkRead(refKey(expr.name, false), scope.statement, expr.span, report)
      )
        return undefined;
      return binding.type;
    }
    case "unary": {
      const t = tensorOf(scope, expr.operand);
      return t && arithmetic(scope, expr, t, t);
    }
    case "binary": {
      const left = tensorOf(scope, expr.left);
      const right = tensorOf(scope, expr.right);
      return left && right ? arithmetic(scope, expr, left, right) : undefined;
    }
    case "field": {
      const object = typeOf(scope, expr.object);
      if (!object) return undefined;
      if (object.kind !== "record")
        return report.error("unknownField", expr.field.span, `${formatType(object)} has no fields`);
      const field = object.fields.get(expr.field.name);
      if (!field) {
        const names = [...object.fields.keys()];
        return report.error(
          "unknownField",
          expr.field.span,
          `the result of ${object.label} has no field '${expr.field.name}'`,
          didYouMean(expr.field.name, names) ?? `its fields are ${names.join(", ")}`,
        );
      }
      return field;
    }
    case "call":
      return callType(scope, expr);
  }
}

/** Elementwise arithmetic: float only; same time axis (or one per-sequence); equal dims or a scalar. */
function arithmetic(scope: ModelScope, expr: Expr, a: Tensor, b: Tensor): Tensor | undefined {
  for (const [t, side] of [
    [a, expr.kind === "binary" ? expr.left : expr],
    [b, expr.kind === "binary" ? expr.right : expr],
  ] as const) {
    if (t.dtype !== "float")
      return scope.report.error(
        "wrongArgumentType",
        side.span,
        `arithmetic needs float values, got ${formatType(t)}`,
        "token ids are integers: embed them first",
      );
  }
  const what = expr.kind === "binary" ? `'${expr.op}'` : "'-'";
  if (a.time && b.time && a.time !== b.time) {
    return scope.report.error(
      "shapeMismatch",
      expr.span,
      `shape mismatch in ${what}: left is ${formatType(a)}, right is ${formatType(b)}`,
      "these step over different sequences",
    );
  }
  const dims = a.dims.length === 0 ? b.dims : b.dims.length === 0 ? a.dims : a.dims;
  if (
    a.dims.length > 0 &&
    b.dims.length > 0 &&
    (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i]))
  ) {
    return scope.report.error(
      "shapeMismatch",
      expr.span,
      `shape mismatch in ${what}: left is ${formatType(a)}, right is ${formatType(b)}`,
      "elementwise operations need equal sizes (or a scalar)",
    );
  }
  return tensor("float", a.time ?? b.time, dims, union(a.origins, b.origins));
}

function callType(scope: ModelScope, call: Call): ModelType | undefined {
  const name = call.callee.name;
  if (isActivation(name)) return activation(scope, call, ACTIVATIONS[name]!);
  switch (name) {
    case "softmax":
    case "log_softmax":
      return activation(scope, call, []);
    case "linear":
      return linear(scope, call);
    case "embedding":
      return embedding(scope, call);
    case "dropout":
      return dropout(scope, call);
    case "layernorm":
      return layernorm(scope, call);
    case "concat":
      return concat(scope, call);
    case "last":
      return last(scope, call);
    case "encode":
    case "decode":
    case "generate":
      return checkSequenceCall(scope, call);
  }
  if (scope.cells.has(name)) {
    return scope.report.error(
      "misplaced",
      call.callee.span,
      `'${name}' is a cell; run it over a sequence with encode`,
      `write encode(${call.args[0]?.value.kind === "name" ? call.args[0].value.name : "x"}, cell: ${name}(...))`,
    );
  }
  if ((CELL_FUNCTIONS as readonly string[]).includes(name)) {
    return scope.report.error(
      "misplaced",
      call.callee.span,
      `'${name}' is a cell function; it cannot be used in a model`,
    );
  }
  return scope.report.error(
    "unknownFunction",
    call.callee.span,
    `unknown function '${name}'`,
    didYouMean(name, MODEL_CALLABLE) ?? `model functions are ${MODEL_CALLABLE.join(", ")}`,
  );
}

function activation(scope: ModelScope, call: Call, options: readonly string[]): Tensor | undefined {
  const args = bindArgs(call, { positional: ["x"], options }, scope.report);
  if (!args) return undefined;
  for (const [option, arg] of args.named) readNumber(arg.value, option, scope.report);
  const x = tensorOf(scope, args.positional[0]!);
  if (x && x.dtype !== "float")
    return scope.report.error(
      "wrongArgumentType",
      args.positional[0]!.span,
      `'${call.callee.name}' needs float values, got ${formatType(x)}`,
    );
  return x;
}

function linear(scope: ModelScope, call: Call): Tensor | undefined {
  const args = bindArgs(
    call,
    { positional: ["x", "out"], min: 1, options: ["out", "bias"] },
    scope.report,
  );
  if (!args) return undefined;
  const x = featuresOf(scope, args.positional[0]!, "the input of linear");
  const outExpr = args.positional[1] ?? args.named.get("out")?.value;
  if (!outExpr)
    return scope.report.error(
      "missingOption",
      call.span,
      "linear needs its output size",
      "write linear(x, 10) or linear(x, out: 10)",
    );
  if (args.positional[1] && args.named.has("out"))
    return scope.report.error("duplicateOption", call.span, "the output size is given twice");
  const out = readInteger(outExpr, "the output size", scope.report, 1);
  const biasArg = args.named.get("bias");
  const bias = biasArg ? readBool(biasArg.value, "bias", scope.report) : true;
  if (!x || out === undefined || bias === undefined) return undefined;
  const stem = scope.stem(call);
  const inSize = x.dims[x.dims.length - 1]!;
  scope.addParam(call, {
    name: `${stem}.weight`,
    shape: [out, inSize],
    init: "uniform",
    role: "weight",
    origin: call.span,
    fanIn: inSize,
  });
  if (bias)
    scope.addParam(call, {
      name: `${stem}.bias`,
      shape: [out],
      init: "uniform",
      role: "bias",
      origin: call.span,
      fanIn: inSize,
    });
  return tensor("float", x.time, [...x.dims.slice(0, -1), out], x.origins);
}

function embedding(scope: ModelScope, call: Call): Tensor | undefined {
  const args = bindArgs(
    call,
    { positional: ["tokens"], options: ["vocab", "dim", "padding"] },
    scope.report,
  );
  if (!args) return undefined;
  const tokens = tensorOf(scope, args.positional[0]!);
  if (tokens && tokens.dtype !== "int") {
    scope.report.error(
      "wrongArgumentType",
      args.positional[0]!.span,
      `embedding reads token ids (int), got ${formatType(tokens)}`,
      "use linear(x, out: N) to project float features",
    );
    return undefined;
  }
  const need = (option: string) => {
    const arg = args.named.get(option);
    if (!arg)
      return scope.report.error(
        "missingOption",
        call.span,
        `embedding needs '${option}'`,
        "write embedding(tokens, vocab: 1000, dim: 64)",
      );
    return readInteger(arg.value, `'${option}'`, scope.report, 1);
  };
  const vocab = need("vocab");
  const dim = need("dim");
  const padding = args.named.get("padding");
  if (padding && vocab !== undefined) {
    const p = readInteger(padding.value, "'padding'", scope.report, 0);
    if (p !== undefined && p >= vocab)
      scope.report.error(
        "badValue",
        padding.value.span,
        `'padding' must be a token id below vocab ${vocab}, got ${p}`,
      );
  }
  if (!tokens || vocab === undefined || dim === undefined) return undefined;
  scope.addParam(call, {
    name: `${scope.stem(call)}.weight`,
    shape: [vocab, dim],
    init: "normal",
    role: "embedding",
    origin: call.span,
  });
  return tensor("float", tokens.time, [...tokens.dims, dim], tokens.origins);
}

function dropout(scope: ModelScope, call: Call): Tensor | undefined {
  const args = bindArgs(call, { positional: ["x", "p"], min: 1, options: ["p"] }, scope.report);
  if (!args) return undefined;
  const x = featuresOf(scope, args.positional[0]!, "the input of dropout");
  const pExpr = args.positional[1] ?? args.named.get("p")?.value;
  if (!pExpr)
    return scope.report.error(
      "missingOption",
      call.span,
      "dropout needs its probability",
      "write dropout(x, 0.5)",
    );
  const p = readNumber(pExpr, "the dropout probability", scope.report, { min: 0, below: 1 });
  return p === undefined ? undefined : x;
}

function layernorm(scope: ModelScope, call: Call): Tensor | undefined {
  const args = bindArgs(call, { positional: ["x"], options: ["eps", "affine"] }, scope.report);
  if (!args) return undefined;
  const x = featuresOf(scope, args.positional[0]!, "the input of layernorm");
  const eps = args.named.get("eps");
  if (eps) readNumber(eps.value, "eps", scope.report, { min: 0 });
  const affineArg = args.named.get("affine");
  const affine = affineArg ? readBool(affineArg.value, "affine", scope.report) : true;
  if (!x || affine === undefined) return undefined;
  if (affine) {
    const stem = scope.stem(call);
    const size = x.dims[x.dims.length - 1]!;
    scope.addParam(call, {
      name: `${stem}.weight`,
      shape: [size],
      init: "ones",
      role: "norm_weight",
      origin: call.span,
    });
    scope.addParam(call, {
      name: `${stem}.bias`,
      shape: [size],
      init: "zeros",
      role: "norm_bias",
      origin: call.span,
    });
  }
  return x;
}

function concat(scope: ModelScope, call: Call): Tensor | undefined {
  const args = bindArgs(call, { positional: ["a", "b"], variadic: true, min: 2 }, scope.report);
  if (!args) return undefined;
  const parts = args.positional.map((e) => featuresOf(scope, e, "concat's inputs"));
  if (parts.some((p) => !p)) return undefined;
  const ts = parts as Tensor[];
  const first = ts[0]!;
  const time = ts.find((t) => t.time)?.time;
  for (const [i, t] of ts.entries()) {
    const lead = (x: Tensor) => x.dims.slice(0, -1).join(",");
    if (
      (t.time && time && t.time !== time) ||
      lead(t) !== lead(first) ||
      (t.time === undefined) !== (first.time === undefined)
    ) {
      return scope.report.error(
        "shapeMismatch",
        args.positional[i]!.span,
        `shape mismatch in concat: ${formatType(first)} and ${formatType(t)}`,
        "concat joins the last dimension; the others (and the time axis) must agree",
      );
    }
  }
  const width = ts.reduce((acc, t) => acc + t.dims[t.dims.length - 1]!, 0);
  return tensor(
    "float",
    time,
    [...first.dims.slice(0, -1), width],
    union(...ts.map((t) => t.origins)),
  );
}

/** `last(x)`: a per-step value at each sequence's last valid step (PyTorch's `out[:, -1, :]`). */
function last(scope: ModelScope, call: Call): Tensor | undefined {
  const args = bindArgs(call, { positional: ["x"] }, scope.report);
  if (!args) return undefined;
  const x = featuresOf(scope, args.positional[0]!, "the input of last");
  if (!x) return undefined;
  if (!x.time)
    return scope.report.error(
      "wrongArgumentType",
      args.positional[0]!.span,
      `last needs a per-step value (a sequence), got ${formatType(x)}`,
      "it picks each sequence's last valid step, e.g. last(enc.outputs)",
    );
  return tensor("float", undefined, x.dims, x.origins);
}
