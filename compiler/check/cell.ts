/**
 * Checks one cell declaration, symbolically: sizes stay symbols (`H`, the input's `I`), so a
 * cell is checked once and instantiated many times (cell-instance.ts).
 *
 * In order: the header (sizes and scalars), the declarations (hoisted: input, states,
 * params), then the equations in order (names, definition order and cycles, shapes by
 * unification, parameters), then the cell as a whole (one input, at least one state, every
 * state updated, every linear's output size inferred).
 */
import type { Call, CellDecl, Expr, Span, Stmt } from "../../dsl/ast.ts";
import { typeOf } from "./cell-expr.ts";
import { CellScope, type CellBinding } from "./cell-scope.ts";
import { dimKey, formatShape, hasUnknowns, symbolDim, type Dim } from "./dims.ts";
import { DefinitionOrder, referencedKeys, refKey, type OrderedStatement } from "./order.ts";
import { bindingPrefix, PARAM_INITS, type ParamEntry, type ParamInit } from "./params.ts";
import type { Reporter } from "./report.ts";
import { vectorShape, type SizeNames } from "./sizes.ts";
import { didYouMean } from "./suggest.ts";

export interface CheckedCell {
  readonly decl: CellDecl;
  readonly name: string;
  /** Header sizes: `hidden: H` → { option: "hidden", symbol: "H" }. */
  readonly sizes: readonly { option: string; symbol: string }[];
  /** Header scalars with defaults: `eps = 1e-5`. */
  readonly scalars: readonly { option: string; value: number }[];
  readonly input: { name: string; shape: readonly Dim[] } | undefined;
  /** The input's own size symbol when the cell does not fix it (`input x` → `I`). */
  readonly inputSymbol: string | undefined;
  readonly states: readonly { name: string; shape: readonly Dim[] }[];
  readonly params: readonly ParamEntry<Dim>[];
  /** What the cell emits each step: its `output`, else its first state's next value. */
  readonly output: { shape: readonly Dim[]; expr: Expr | undefined };
  readonly types: ReadonlyMap<Expr, readonly Dim[]>;
  readonly callParams: ReadonlyMap<Expr, readonly string[]>;
  /** False when the cell has errors; it is then not instantiated. */
  readonly ok: boolean;
}

/**
 * Binds a name; false (and reported) when it is already bound. The later definition then
 * shadows the earlier one (except a header size, which shapes need), as later reads mean it.
 */
function declare(scope: CellScope, name: string, binding: CellBinding): boolean {
  const existing = scope.names.get(name);
  if (existing) {
    scope.report.error(
      "duplicateDefinition",
      binding.span,
      `'${name}' is already defined in this cell`,
      "rename one of them",
      [{ message: "first defined here", span: existing.span }],
    );
    if (existing.kind !== "size") scope.names.set(name, binding);
    return false;
  }
  scope.names.set(name, binding);
  return true;
}

function header(scope: CellScope, decl: CellDecl) {
  const sizes: { option: string; symbol: string }[] = [];
  const scalars: { option: string; value: number }[] = [];
  const options = new Map<string, Span>();
  for (const p of decl.params) {
    const first = options.get(p.name.name);
    if (first) {
      scope.report.error(
        "duplicateDefinition",
        p.name.span,
        `cell parameter '${p.name.name}' is declared twice`,
        "remove one of them",
        [{ message: "first declared here", span: first }],
      );
      continue;
    }
    options.set(p.name.name, p.name.span);
    if (p.symbol) {
      sizes.push({ option: p.name.name, symbol: p.symbol.name });
      scope.sizeOptions.set(p.name.name, p.symbol.name);
      declare(scope, p.symbol.name, {
        kind: "size",
        shape: [],
        span: p.symbol.span,
        symbol: p.symbol.name,
      });
    } else if (p.default) {
      scalars.push({ option: p.name.name, value: p.default.value });
      declare(scope, p.name.name, {
        kind: "scalar",
        shape: [],
        span: p.name.span,
        value: p.default.value,
      });
    }
  }
  return { sizes, scalars };
}

function sizeNames(scope: CellScope, introduce?: (name: string) => Dim): SizeNames {
  return {
    lookup: (name) => {
      const b = scope.names.get(name);
      return b?.kind === "size" && b.symbol ? symbolDim(b.symbol) : undefined;
    },
    candidates: () => scope.sizeSymbols().values(),
    introduce,
    hint: (name) => scope.sizeHint(name),
    reported: scope.unknownNames,
  };
}

function declarations(scope: CellScope, body: readonly Stmt[]) {
  let input: { name: string; shape: readonly Dim[]; span: Span } | undefined;
  let inputSymbol: string | undefined;
  const inputs: Span[] = [];
  const states: { name: string; shape: readonly Dim[]; span: Span }[] = [];
  for (const stmt of body) {
    if (stmt.kind === "input") {
      for (const d of stmt.decls) {
        inputs.push(d.span);
        if (d.dtype || d.training) {
          scope.report.error(
            "misplaced",
            d.span,
            "cell inputs are float vectors: no type and no 'for training'",
            `write 'input ${d.name.name}'`,
          );
        }
        let shape: readonly Dim[] | undefined;
        if (d.shape) {
          shape = vectorShape(
            d.shape,
            sizeNames(scope, (n) => ((inputSymbol = n), symbolDim(n))),
            scope.report,
          );
        } else {
          inputSymbol = scope.names.has("I") ? `I_${d.name.name}` : "I";
          shape = [symbolDim(inputSymbol)];
        }
        // A bad shape is reported; the name still exists, so its uses raise nothing more.
        shape ??= [scope.solver.fresh()];
        declare(scope, d.name.name, { kind: "input", shape, span: d.name.span });
        input ??= { name: d.name.name, shape, span: d.name.span };
      }
    } else if (stmt.kind === "state") {
      for (const d of stmt.decls) {
        const shape = vectorShape(d.shape, sizeNames(scope), scope.report) ?? [
          scope.solver.fresh(),
        ];
        if (declare(scope, d.name.name, { kind: "state", shape, span: d.name.span }))
          states.push({ name: d.name.name, shape, span: d.name.span });
      }
    } else if (stmt.kind === "param") {
      for (const d of stmt.decls) {
        const shape = vectorShape(d.shape, sizeNames(scope), scope.report);
        let init: ParamInit = "uniform";
        if (d.init) {
          if ((PARAM_INITS as readonly string[]).includes(d.init.name))
            init = d.init.name as ParamInit;
          else
            scope.report.error(
              "wrongArgumentType",
              d.init.span,
              `unknown initialiser '${d.init.name}'`,
              didYouMean(d.init.name, PARAM_INITS) ?? `use one of ${PARAM_INITS.join(", ")}`,
            );
        }
        if (!shape) {
          declare(scope, d.name.name, { kind: "invalid", shape: [], span: d.name.span });
          continue;
        }
        declare(scope, d.name.name, { kind: "param", shape, span: d.name.span });
        scope.namer.reserve(d.name.name);
        scope.addParam(
          { name: d.name.name, shape, init, role: "param", origin: d.name.span },
          undefined,
        );
      }
    }
  }
  if (inputs.length > 1) {
    scope.report.error(
      "inputCount",
      inputs[1]!,
      "a cell reads one input per step",
      "concatenate inputs in the model: encode(concat(a, b), ...)",
    );
  }
  return { input, inputSymbol, states };
}

function ordered(body: readonly Stmt[]): OrderedStatement[] {
  return body.map((stmt) => {
    if (stmt.kind === "assign") {
      return {
        defines: stmt.targets.map((t) => refKey(t.name, t.primed)),
        reads: referencedKeys(stmt.value),
        span: stmt.span,
      };
    }
    if (stmt.kind === "output")
      return { defines: [], reads: referencedKeys(stmt.value), span: stmt.span };
    return { defines: [], reads: new Set<string>(), span: stmt.span };
  });
}

const NOT_A_STATE: Partial<Record<CellBinding["kind"], string>> = {
  input: "the cell's input",
  param: "a param",
  value: "a value of this step",
  size: "a size",
  scalar: "a scalar option",
};

function assign(scope: CellScope, stmt: Extract<Stmt, { kind: "assign" }>): void {
  const first = stmt.targets[0]!;
  scope.prefix =
    stmt.targets.length === 1
      ? bindingPrefix(first.name, first.primed)
      : stmt.targets.map((t) => t.name).join("_");
  const type = typeOf(scope, stmt.value);
  let shapes: (readonly Dim[] | undefined)[];
  if (!type) shapes = stmt.targets.map(() => undefined);
  else if (type.kind === "tuple") {
    if (type.parts.length !== stmt.targets.length) {
      scope.report.error(
        "tupleMismatch",
        stmt.span,
        `${stmt.targets.length} name${stmt.targets.length === 1 ? "" : "s"} on the left, but split gives ${type.parts.length} values`,
        `write ${type.parts.length} names: ${["a", "b", "c", "d", "e", "f"].slice(0, type.parts.length).join(", ")} = split(...)`,
      );
    }
    shapes = stmt.targets.map((_, i) => type.parts[i]);
  } else {
    if (stmt.targets.length > 1) {
      scope.report.error(
        "tupleMismatch",
        stmt.span,
        `${stmt.targets.length} names on the left, but the right side is one value`,
        "only split(...) gives several values",
      );
    }
    shapes = stmt.targets.map(() => type.shape);
  }
  stmt.targets.forEach((target, i) => {
    const shape = shapes[i];
    if (target.primed) {
      const state = scope.names.get(target.name);
      // `h' = ...` with `h` unknown: the unknown name is the one mistake, already reported.
      if (!state && scope.unknownNames.has(target.name)) return;
      if (!state || state.kind !== "state") {
        const what = state && NOT_A_STATE[state.kind];
        scope.report.error(
          "notAState",
          target.span,
          `'${target.name}' is ${what ? `${what} and ` : ""}not a state, so it has no next value '${target.name}''`,
          state
            ? "only states carry a value to the next step: declare one, e.g. state s: [H]"
            : `write '${target.name} = ...' for a value of this step, or declare a state: state ${target.name}: [H]`,
        );
        return;
      }
      const earlier = scope.next.get(target.name);
      if (earlier) {
        scope.report.error(
          "duplicateDefinition",
          target.span,
          `'${target.name}'' is defined twice`,
          "a next state is defined once per step",
          [{ message: "first defined here", span: earlier.span }],
        );
        return;
      }
      if (shape && !scope.solver.unify(shape[0] ?? state.shape[0]!, state.shape[0]!)) {
        const show = (s: readonly Dim[]) => formatShape(s.map((d) => scope.solver.resolve(d)));
        scope.report.error(
          "shapeMismatch",
          stmt.value.span,
          `shape mismatch: ${target.name}' is ${show(shape)} but state ${target.name} is ${show(state.shape)}`,
          `the next state must have the state's shape${show(shape).includes("?") ? " ('?' is a size inferred from use)" : ""}`,
        );
      }
      scope.next.set(target.name, { shape: state.shape, span: target.span });
      return;
    }
    if (shape) declare(scope, target.name, { kind: "value", shape, span: target.span });
    else if (!scope.names.has(target.name))
      declare(scope, target.name, { kind: "invalid", shape: [], span: target.span });
  });
}

/** `x, h'` for the positional operands of a linear written with names; `...` otherwise. */
function linearOperands(call: Call): string {
  const names = call.args.map((a) =>
    !a.name && a.value.kind === "name" ? `${a.value.name}${a.value.primed ? "'" : ""}` : "",
  );
  return names.length > 0 && names.every(Boolean) ? names.join(", ") : "...";
}

export function checkCell(decl: CellDecl, report: Reporter): CheckedCell {
  const before = report.diagnostics.length;
  const scope = new CellScope(report, new DefinitionOrder(ordered(decl.body)));
  const { sizes, scalars } = header(scope, decl);
  const { input, inputSymbol, states } = declarations(scope, decl.body);
  let output: { shape: readonly Dim[]; expr: Expr | undefined; span: Span } | undefined;

  decl.body.forEach((stmt, index) => {
    scope.statement = index;
    if (stmt.kind === "assign") assign(scope, stmt);
    else if (stmt.kind === "output") {
      scope.prefix = stmt.name.name;
      const type = typeOf(scope, stmt.value);
      if (output)
        report.error(
          "duplicateDefinition",
          stmt.name.span,
          "a cell has one output",
          "the encoder emits it each step",
          [{ message: "first output here", span: output.span }],
        );
      else if (type?.kind === "tensor")
        output = { shape: type.shape, expr: stmt.value, span: stmt.name.span };
    } else if (stmt.kind === "loss") {
      report.error(
        "misplaced",
        stmt.span,
        "a loss belongs in a model, not in a cell",
        "move it to a model that runs this cell, e.g. with encode",
      );
    }
  });

  if (!input)
    report.error(
      "inputCount",
      decl.name.span,
      `cell '${decl.name.name}' has no input`,
      "declare one: input x",
    );
  if (!decl.body.some((s) => s.kind === "state"))
    report.error(
      "missingState",
      decl.name.span,
      `cell '${decl.name.name}' has no state`,
      "declare one: state h: [H]",
    );
  for (const state of states) {
    if (!scope.next.has(state.name)) {
      report.error(
        "stateNeverUpdated",
        state.span,
        `state '${state.name}' is never updated`,
        `define its next value: ${state.name}' = ...`,
      );
    }
  }
  // An unknown size is usually a consequence of another error here (an equation that did not
  // check never ties its linears to anything), so it is reported only in an otherwise sound cell.
  // Linears tied to each other (`linear(x) + linear(h)`) share one unknown: reported once.
  const sound = report.diagnostics.length === before;
  const reported = new Set<string>();
  for (const open of sound ? scope.openSizes : []) {
    const dim = scope.solver.resolve(open.dim);
    if (hasUnknowns(dim) && !reported.has(dimKey(dim))) {
      reported.add(dimKey(dim));
      report.error(
        "cannotInferSize",
        open.call.callee.span,
        "cannot infer the output size of this linear",
        `give it one: linear(${linearOperands(open.call)}, out: ${sizes[0]?.symbol ?? "16"})`,
      );
    }
  }

  const resolve = (shape: readonly Dim[]) => shape.map((d) => scope.solver.resolve(d));
  const types = new Map<Expr, readonly Dim[]>();
  for (const [expr, shape] of scope.types) types.set(expr, resolve(shape));
  const firstState = states[0];
  return {
    decl,
    name: decl.name.name,
    sizes,
    scalars,
    input: input && { name: input.name, shape: input.shape },
    inputSymbol,
    states: states.map((s) => ({ name: s.name, shape: s.shape })),
    params: scope.params.map((p) => ({ ...p, shape: resolve(p.shape) })),
    output: output
      ? { shape: resolve(output.shape), expr: output.expr }
      : { shape: firstState?.shape ?? [], expr: undefined },
    types,
    callParams: scope.callParams,
    ok: report.diagnostics.length === before,
  };
}
