/**
 * Checks one model declaration: inputs (typed, with time axes), bindings and outputs in
 * order, losses; then the model as a whole (at least one output, outputs are tensors).
 * Model sizes are numbers, so the parameter table it builds is concrete.
 */
import type { Expr, InputDecl, ModelDecl, Span, Stmt } from "../../dsl/ast.ts";
import type { CheckedCell } from "./cell.ts";
import { checkLoss, type CheckedLoss } from "./losses.ts";
import { checkTrainingInputs } from "./training-inputs.ts";
import { tensorOf, typeOf } from "./model-expr.ts";
import { ModelScope, type ModelBinding } from "./model-scope.ts";
import {
  formatType,
  tensor,
  type DType,
  type EncoderInfo,
  type ModelType,
  type Tensor,
} from "./model-types.ts";
import { DefinitionOrder, referencedKeys, type OrderedStatement } from "./order.ts";
import { LIMITS, tooLarge } from "./limits.ts";
import { shapeSize, type ParamEntry } from "./params.ts";
import type { Reporter } from "./report.ts";
import type { DecoderInfo } from "./decode.ts";
import { didYouMean } from "./suggest.ts";

export type Topology = "many-to-one" | "many-to-many" | "one-to-many" | "encoder-decoder";

export interface ModelInput {
  readonly name: string;
  readonly type: Tensor;
  readonly training: boolean;
}

export interface CheckedModel {
  readonly decl: ModelDecl;
  readonly name: string;
  readonly inputs: readonly ModelInput[];
  readonly outputs: readonly { name: string; type: Tensor; expr: Expr }[];
  readonly losses: readonly CheckedLoss[];
  readonly params: readonly ParamEntry<number>[];
  readonly topologies: ReadonlySet<Topology>;
  readonly types: ReadonlyMap<Expr, ModelType>;
  readonly callParams: ReadonlyMap<Expr, readonly string[]>;
  readonly encoders: ReadonlyMap<Expr, EncoderInfo>;
  readonly decoders: ReadonlyMap<Expr, DecoderInfo>;
  readonly ok: boolean;
}

function declare(scope: ModelScope, name: string, binding: ModelBinding): void {
  const existing = scope.names.get(name);
  if (existing) {
    scope.report.error(
      "duplicateDefinition",
      binding.span,
      `'${name}' is already defined in this model`,
      "rename one of them",
      [{ message: "first defined here", span: existing.span }],
    );
    // The later definition shadows the earlier one: the reads after it mean it.
    scope.names.set(name, binding);
    return;
  }
  scope.names.set(name, binding);
}

function inputType(scope: ModelScope, d: InputDecl): Tensor | undefined {
  const report = scope.report;
  if (!d.dtype || !d.shape) {
    return report.error(
      "badInputType",
      d.span,
      `model input '${d.name.name}' needs a type and shape`,
      `write e.g. 'input ${d.name.name}: float[T, 10]' (a sequence) or 'input ${d.name.name}: int[T]' (token ids)`,
    );
  }
  if (d.dtype.name !== "int" && d.dtype.name !== "float") {
    return report.error(
      "badInputType",
      d.dtype.span,
      `unknown type '${d.dtype.name}'`,
      didYouMean(d.dtype.name, ["int", "float"]) ?? "use int (token ids) or float",
    );
  }
  let time: string | undefined;
  const dims: number[] = [];
  let ok = true;
  d.shape.dims.forEach((dim, i) => {
    if (i === 0 && dim.kind === "name" && !dim.primed) {
      time = dim.name;
    } else if (dim.kind === "number" && dim.isInteger && dim.value >= 1) {
      if (dim.value > LIMITS.size) {
        ok = false;
        tooLarge(report, dim.span, "this size", dim.value, LIMITS.size);
      } else dims.push(dim.value);
    } else {
      ok = false;
      report.error(
        "badShape",
        dim.span,
        dim.kind === "name"
          ? `'${dim.name}' can only be the first dimension (the time axis)`
          : "model sizes are whole numbers of at least 1",
        "write e.g. float[T, 10]: a time axis name, then numbers",
      );
    }
  });
  return ok ? tensor(d.dtype.name as DType, time, dims) : undefined;
}

function ordered(body: readonly Stmt[]): OrderedStatement[] {
  return body.map((stmt) => {
    const reads =
      stmt.kind === "assign" || stmt.kind === "output" || stmt.kind === "loss"
        ? referencedKeys(stmt.value)
        : new Set<string>();
    const defines =
      stmt.kind === "assign"
        ? stmt.targets.map((t) => t.name)
        : stmt.kind === "output"
          ? [stmt.name.name]
          : [];
    return { defines, reads, span: stmt.span };
  });
}

function topologiesOf(
  inputs: readonly ModelInput[],
  outputs: readonly { type: Tensor }[],
): Set<Topology> {
  const out = new Set<Topology>();
  const sequenceInput = inputs.some((i) => i.type.time !== undefined && !i.training);
  for (const { type } of outputs) {
    if (type.origins.has("decode")) out.add("encoder-decoder");
    else if (type.origins.has("generate")) out.add("one-to-many");
    else if (type.time !== undefined) out.add("many-to-many");
    else if (sequenceInput) out.add("many-to-one");
  }
  return out;
}

/**
 * Values and parameters within LIMITS.elements (each size is within LIMITS.size already, but
 * their products need not be): the first value too large, then the whole parameter table.
 */
function checkSizes(scope: ModelScope, decl: ModelDecl): void {
  let first: { expr: Expr; elements: number } | undefined;
  for (const [expr, type] of scope.types) {
    if (type.kind !== "tensor") continue;
    const elements = shapeSize(type.dims);
    if (elements <= LIMITS.elements) continue;
    if (!first || expr.span.start < first.expr.span.start) first = { expr, elements };
  }
  if (first)
    tooLarge(
      scope.report,
      first.expr.span,
      "the number of scalars of this value per step",
      first.elements,
      LIMITS.elements,
    );
  const total = scope.params.reduce((sum, p) => sum + shapeSize(p.shape), 0);
  if (total <= LIMITS.elements) return;
  const largest = scope.params.reduce((a, b) => (shapeSize(b.shape) > shapeSize(a.shape) ? b : a));
  tooLarge(
    scope.report,
    decl.name.span,
    `the number of parameters of model '${decl.name.name}'`,
    total,
    LIMITS.elements,
    `as float32 the weights would take ${(total / 2 ** 28).toFixed(1)} GiB, more than a device holds: use smaller sizes`,
    [
      {
        message: `the largest, '${largest.name}' [${largest.shape.join(", ")}], is here`,
        span: largest.origin,
      },
    ],
  );
}

export function checkModel(
  decl: ModelDecl,
  cells: ReadonlyMap<string, CheckedCell>,
  report: Reporter,
): CheckedModel {
  const before = report.diagnostics.length;
  const scope = new ModelScope(report, new DefinitionOrder(ordered(decl.body)), cells);
  const inputs: ModelInput[] = [];
  const outputs: { name: string; type: Tensor; expr: Expr }[] = [];
  const losses: CheckedLoss[] = [];
  const outputSpans: Span[] = [];

  for (const stmt of decl.body) {
    if (stmt.kind !== "input") continue;
    for (const d of stmt.decls) {
      const type = inputType(scope, d);
      declare(scope, d.name.name, { kind: "input", type, span: d.name.span });
      if (type) inputs.push({ name: d.name.name, type, training: d.training });
    }
  }
  decl.body.forEach((stmt, index) => {
    scope.statement = index;
    scope.statementValue = "value" in stmt ? stmt.value : undefined;
    switch (stmt.kind) {
      case "input":
        return;
      case "state":
      case "param":
        report.error(
          "misplaced",
          stmt.span,
          `'${stmt.kind}' declarations belong in cells`,
          "models combine cells with encode, decode and generate",
        );
        return;
      case "assign": {
        const [target, ...rest] = stmt.targets;
        if (rest.length > 0)
          report.error("tupleMismatch", rest[0]!.span, "a model binds one name per statement");
        if (target!.primed)
          report.error(
            "misplaced",
            target!.span,
            `next-state names like '${target!.name}'' belong in cells`,
            `in a model, write '${target!.name} = ...'`,
          );
        scope.prefix = target!.name;
        const type = typeOf(scope, stmt.value);
        // `h'` is reported above; bound under its own spelling, its reads raise nothing more.
        const name = target!.primed ? `${target!.name}'` : target!.name;
        declare(scope, name, { kind: "value", type, span: target!.span });
        return;
      }
      case "output": {
        scope.prefix = stmt.name.name;
        const type = tensorOf(scope, stmt.value, `output '${stmt.name.name}'`);
        declare(scope, stmt.name.name, { kind: "output", type, span: stmt.name.span });
        outputSpans.push(stmt.name.span);
        if (type) outputs.push({ name: stmt.name.name, type, expr: stmt.value });
        return;
      }
      case "loss": {
        scope.prefix = "loss";
        const loss = checkLoss(scope, stmt.value);
        if (loss) losses.push(loss);
        return;
      }
    }
  });
  checkSizes(scope, decl);
  // Which inputs runs need is only worth telling once the model is otherwise right.
  if (report.diagnostics.length === before && outputSpans.length > 0) {
    checkTrainingInputs(decl, inputs, report);
  }
  if (outputSpans.length === 0) {
    const last = [...decl.body].reverse().find((s) => s.kind === "assign" && !s.targets[0]!.primed);
    const name = last?.kind === "assign" ? last.targets[0]!.name : undefined;
    report.error(
      "missingOutput",
      decl.name.span,
      `model '${decl.name.name}' has no output`,
      name
        ? `mark what the model computes with 'output', e.g. output ${name} = ...`
        : "add one: output NAME = expression",
    );
  }
  return {
    decl,
    name: decl.name.name,
    inputs,
    outputs,
    losses,
    params: scope.params,
    topologies: topologiesOf(inputs, outputs),
    types: scope.types,
    callParams: scope.callParams,
    encoders: scope.encoders,
    decoders: scope.decoders,
    ok: report.diagnostics.length === before,
  };
}

export { formatType };
