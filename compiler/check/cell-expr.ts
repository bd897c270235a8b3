/**
 * Types of expressions in a cell body. Values are vectors (`[H]`) or scalars (`[]`); scalars
 * broadcast. Elementwise operators unify sizes, which is how `linear(x)` learns its output
 * size from the values it is combined with. Each `linear` and `layernorm` registers its
 * parameters under the current statement's prefix (see params.ts for the naming rule).
 */
import type { Call, Expr } from "../../dsl/ast.ts";
import { bindArgs, readBool, readInteger, readNumber } from "./args.ts";
import { ACTIVATIONS, CELL_CALLABLE, isActivation, MODEL_FUNCTIONS } from "./builtins.ts";
import type { CellScope, CellType } from "./cell-scope.ts";
import { addDims, formatShape, scaleDim, type Dim } from "./dims.ts";
import { refKey } from "./order.ts";
import { operandName } from "./params.ts";
import { sizeOf } from "./sizes.ts";
import { didYouMean } from "./suggest.ts";

type Shape = readonly Dim[];

function tensor(shape: Shape): CellType {
  return { kind: "tensor", shape };
}

/** The shape of a value, or undefined (already reported) when it is not a single tensor. */
export function shapeOf(scope: CellScope, expr: Expr): Shape | undefined {
  const type = typeOf(scope, expr);
  if (!type) return undefined;
  if (type.kind === "tuple") {
    return scope.report.error(
      "tupleMismatch",
      expr.span,
      `split gives ${type.parts.length} values here, where one is needed`,
      "bind them first: a, b = split(v, 2)",
    );
  }
  return type.shape;
}

/** Elementwise combination: scalars broadcast, vectors must have equal sizes. */
export function broadcast(
  scope: CellScope,
  what: string,
  expr: Expr,
  a: Shape,
  b: Shape,
): Shape | undefined {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  if (scope.solver.unify(a[0]!, b[0]!)) return a;
  const show = (s: Shape) => formatShape(s.map((d) => scope.solver.resolve(d)));
  return scope.report.error(
    "shapeMismatch",
    expr.span,
    `shape mismatch in ${what}: left is ${show(a)}, right is ${show(b)}`,
    "elementwise operations need equal sizes (or a scalar)",
  );
}

export function typeOf(scope: CellScope, expr: Expr): CellType | undefined {
  const type = typeOfUncached(scope, expr);
  if (type?.kind === "tensor") scope.types.set(expr, type.shape);
  return type;
}

function typeOfUncached(scope: CellScope, expr: Expr): CellType | undefined {
  const report = scope.report;
  switch (expr.kind) {
    case "number":
      return tensor([]);
    case "bool":
      return report.error(
        "wrongArgumentType",
        expr.span,
        "true and false are option values, not numbers",
        "use 1 or 0",
      );
    case "name":
      return nameType(scope, expr.name, expr.primed, expr);
    case "unary": {
      const inner = shapeOf(scope, expr.operand);
      return inner && tensor(inner);
    }
    case "binary": {
      const left = shapeOf(scope, expr.left);
      const right = shapeOf(scope, expr.right);
      if (!left || !right) return undefined;
      const shape = broadcast(scope, `'${expr.op}'`, expr, left, right);
      return shape && tensor(shape);
    }
    case "field":
      return report.error(
        "misplaced",
        expr.span,
        "fields ('.') belong to model values such as enc.final, not to cell values",
      );
    case "call":
      return callType(scope, expr);
  }
}

function nameType(
  scope: CellScope,
  name: string,
  primed: boolean,
  expr: Expr,
): CellType | undefined {
  const report = scope.report;
  const binding = scope.names.get(name);
  if (primed) {
    if (!binding || binding.kind !== "state") {
      // `n' = ...` for a non-state is reported where it is defined; its reads stay silent.
      if (scope.order.isDefined(refKey(name, true))) return undefined;
      if (!binding) return unknownName(scope, `${name}'`, expr);
      return report.error(
        "notAState",
        expr.span,
        `'${name}' is not a state, so it has no next value '${name}''`,
        `write '${name}'`,
      );
    }
    if (!scope.order.checkRead(refKey(name, true), scope.statement, expr.span, report))
      return undefined;
    const next = scope.next.get(name);
    return next ? tensor(next.shape) : undefined;
  }
  if (!binding) {
    if (scope.order.isDefined(name)) {
      scope.order.checkRead(name, scope.statement, expr.span, report);
      return undefined;
    }
    return unknownName(scope, name, expr);
  }
  if (binding.kind === "invalid") return undefined;
  if (binding.kind === "size") return tensor([]);
  return tensor(binding.shape);
}

/** Reported at the first use only; values are suggested, not sizes (`h` is not `H`). */
function unknownName(scope: CellScope, key: string, expr: Expr): undefined {
  if (scope.unknownNames.has(key)) return undefined;
  scope.unknownNames.add(key);
  const values = [...scope.names].filter(([, b]) => b.kind !== "size").map(([n]) => n);
  return scope.report.error(
    "unknownName",
    expr.span,
    `unknown name '${key}'`,
    didYouMean(key.replace(/'$/, ""), values),
  );
}

function callType(scope: CellScope, call: Call): CellType | undefined {
  const name = call.callee.name;
  const report = scope.report;
  if (isActivation(name)) return activation(scope, call, ACTIVATIONS[name]!);
  switch (name) {
    case "linear":
      return linear(scope, call);
    case "layernorm":
      return layernorm(scope, call);
    case "concat":
      return concat(scope, call);
    case "split":
      return split(scope, call);
    case "clip":
      return clip(scope, call);
    case "min":
    case "max":
      return minMax(scope, call);
    case "sum":
    case "mean":
      return reduce(scope, call);
    case "softmax":
      return activation(scope, call, []);
  }
  if ((MODEL_FUNCTIONS as readonly string[]).includes(name)) {
    return report.error(
      "misplaced",
      call.callee.span,
      `'${name}' is a model function; it cannot be used inside a cell`,
      "a cell sees one vector per step: do this in the model, and encode its result",
    );
  }
  return report.error(
    "unknownFunction",
    call.callee.span,
    `unknown function '${name}'`,
    didYouMean(name, CELL_CALLABLE) ?? `cell functions are ${CELL_CALLABLE.join(", ")}`,
  );
}

function activation(
  scope: CellScope,
  call: Call,
  options: readonly string[],
): CellType | undefined {
  const args = bindArgs(call, { positional: ["value"], options }, scope.report);
  if (!args) return undefined;
  for (const [option, arg] of args.named) readNumber(arg.value, `${option}`, scope.report);
  const shape = shapeOf(scope, args.positional[0]!);
  return shape && tensor(shape);
}

function vectorOperand(scope: CellScope, call: Call, expr: Expr): Dim | undefined {
  const shape = shapeOf(scope, expr);
  if (!shape) return undefined;
  if (shape.length !== 1) {
    return scope.report.error(
      "wrongArgumentType",
      expr.span,
      `'${call.callee.name}' needs a vector here, got a scalar`,
    );
  }
  return shape[0]!;
}

function linear(scope: CellScope, call: Call): CellType | undefined {
  const args = bindArgs(
    call,
    { positional: ["x"], variadic: true, min: 1, options: ["out", "bias"] },
    scope.report,
  );
  if (!args) return undefined;
  const inputs = args.positional.map((e) => vectorOperand(scope, call, e));
  const outArg = args.named.get("out");
  const biasArg = args.named.get("bias");
  const hasBias = biasArg ? readBool(biasArg.value, "bias", scope.report) : true;
  let out: Dim | undefined;
  if (outArg) {
    out = sizeOf(
      outArg.value,
      {
        lookup: (n) => sizeDim(scope, n),
        candidates: () => scope.sizeSymbols().values(),
        hint: (n) => scope.sizeHint(n),
        reported: scope.unknownNames,
      },
      scope.report,
    );
  } else {
    out = scope.solver.fresh();
    scope.openSizes.push({ call, dim: out });
  }
  if (!out || inputs.some((d) => d === undefined) || hasBias === undefined) return undefined;
  const single = args.positional.length === 1;
  args.positional.forEach((operand, i) => {
    const stem = scope.namer.unique(`${scope.prefix}.${operandName(operand, i)}`);
    scope.addParam(
      {
        name: `${stem}.weight`,
        shape: [out, inputs[i]!],
        init: "uniform",
        role: "weight",
        origin: operand.span,
      },
      call,
    );
    if (hasBias && single)
      scope.addParam(
        {
          name: `${stem}.bias`,
          shape: [out],
          init: "uniform",
          role: "bias",
          origin: call.callee.span,
        },
        call,
      );
  });
  if (hasBias && !single) {
    const stem = scope.namer.unique(scope.prefix);
    scope.addParam(
      {
        name: `${stem}.bias`,
        shape: [out],
        init: "uniform",
        role: "bias",
        origin: call.callee.span,
      },
      call,
    );
  }
  return tensor([out]);
}

/** `H` in `out: H` is the size symbol bound by the header parameter `hidden: H`. */
function sizeDim(scope: CellScope, name: string): Dim | undefined {
  for (const [, binding] of scope.names) {
    if (binding.kind === "size" && binding.symbol === name) return new Map([[name, 1]]);
  }
  return undefined;
}

/** `layernorm(c')` → `_c_next`, `layernorm(linear(x, ...))` → `_x`, otherwise nothing. */
function normHint(expr: Expr): string {
  if (expr.kind === "name") return `_${operandName(expr, 0)}`;
  if (expr.kind === "call" && expr.callee.name === "linear" && expr.args.length >= 1) {
    const first = expr.args[0]!;
    if (!first.name && first.value.kind === "name") return `_${operandName(first.value, 0)}`;
  }
  return "";
}

function layernorm(scope: CellScope, call: Call): CellType | undefined {
  const args = bindArgs(call, { positional: ["x"], options: ["eps", "affine"] }, scope.report);
  if (!args) return undefined;
  const eps = args.named.get("eps");
  if (eps) readNumber(eps.value, "eps", scope.report, { min: 0 });
  const affineArg = args.named.get("affine");
  const affine = affineArg ? readBool(affineArg.value, "affine", scope.report) : true;
  const operand = args.positional[0]!;
  const size = vectorOperand(scope, call, operand);
  if (!size || affine === undefined) return undefined;
  if (affine) {
    const stem = scope.namer.unique(`${scope.prefix}.ln${normHint(operand)}`);
    scope.addParam(
      {
        name: `${stem}.weight`,
        shape: [size],
        init: "ones",
        role: "norm_weight",
        origin: call.callee.span,
      },
      call,
    );
    scope.addParam(
      {
        name: `${stem}.bias`,
        shape: [size],
        init: "zeros",
        role: "norm_bias",
        origin: call.callee.span,
      },
      call,
    );
  }
  return tensor([size]);
}

function concat(scope: CellScope, call: Call): CellType | undefined {
  const args = bindArgs(call, { positional: ["a", "b"], variadic: true, min: 2 }, scope.report);
  if (!args) return undefined;
  const sizes = args.positional.map((e) => vectorOperand(scope, call, e));
  if (sizes.some((s) => s === undefined)) return undefined;
  return tensor([sizes.reduce<Dim>((acc, s) => addDims(acc, s!), new Map())]);
}

function split(scope: CellScope, call: Call): CellType | undefined {
  const args = bindArgs(call, { positional: ["x", "parts"] }, scope.report);
  if (!args) return undefined;
  const size = vectorOperand(scope, call, args.positional[0]!);
  const parts = readInteger(args.positional[1]!, "the number of parts", scope.report, 2);
  if (!size || parts === undefined) return undefined;
  const part = scope.solver.fresh();
  if (!scope.solver.unify(size, scaleDim(part, parts))) {
    return scope.report.error(
      "shapeMismatch",
      call.span,
      `cannot split ${formatShape([scope.solver.resolve(size)])} into ${parts} equal parts`,
      `give the split value a size that is a multiple of ${parts}`,
    );
  }
  return { kind: "tuple", parts: Array.from({ length: parts }, () => [part]) };
}

function clip(scope: CellScope, call: Call): CellType | undefined {
  const args = bindArgs(call, { positional: ["x", "min", "max"] }, scope.report);
  if (!args) return undefined;
  const [x, lo, hi] = args.positional;
  const shape = shapeOf(scope, x!);
  for (const bound of [lo!, hi!]) {
    const s = shapeOf(scope, bound);
    if (s && s.length !== 0)
      scope.report.error(
        "wrongArgumentType",
        bound.span,
        "clip bounds must be scalars",
        "e.g. clip(h, -5, 5)",
      );
  }
  return shape && tensor(shape);
}

function minMax(scope: CellScope, call: Call): CellType | undefined {
  const args = bindArgs(call, { positional: ["a", "b"] }, scope.report);
  if (!args) return undefined;
  const a = shapeOf(scope, args.positional[0]!);
  const b = shapeOf(scope, args.positional[1]!);
  const shape = a && b ? broadcast(scope, `'${call.callee.name}'`, call, a, b) : undefined;
  return shape && tensor(shape);
}

function reduce(scope: CellScope, call: Call): CellType | undefined {
  const args = bindArgs(call, { positional: ["x"] }, scope.report);
  if (!args) return undefined;
  return vectorOperand(scope, call, args.positional[0]!) ? tensor([]) : undefined;
}
