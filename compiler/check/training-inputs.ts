/**
 * Which inputs a model needs when it runs, and which only when it trains. An output must be
 * computable without the inputs marked `for training` (a decoder's `teacher:` is read only
 * in training, so it does not count); an input that no output needs but a loss or a teacher
 * reads must be marked `for training`, or every caller would have to supply it.
 */
import type { Expr, ModelDecl, Span } from "../../dsl/ast.ts";
import { printExpr } from "../../dsl/format.ts";
import type { ModelInput } from "./model.ts";
import type { Reporter } from "./report.ts";

const DECODERS = new Set(["decode", "generate"]);

/** Names an expression reads when the model runs (a decoder's teacher excluded). */
function inferenceReads(expr: Expr, out: Set<string>): Set<string> {
  switch (expr.kind) {
    case "name":
      out.add(expr.name);
      break;
    case "call":
      for (const arg of expr.args) {
        if (DECODERS.has(expr.callee.name) && arg.name?.name === "teacher") continue;
        inferenceReads(arg.value, out);
      }
      break;
    case "binary":
      inferenceReads(expr.left, out);
      inferenceReads(expr.right, out);
      break;
    case "unary":
      inferenceReads(expr.operand, out);
      break;
    case "field":
      inferenceReads(expr.object, out);
      break;
    default:
      break;
  }
  return out;
}

/** Every name an expression reads, teachers included. */
function allReads(expr: Expr, out: Set<string>): Set<string> {
  if (expr.kind === "call") for (const arg of expr.args) allReads(arg.value, out);
  else if (expr.kind === "binary") [expr.left, expr.right].forEach((e) => allReads(e, out));
  else if (expr.kind === "unary") allReads(expr.operand, out);
  else if (expr.kind === "field") allReads(expr.object, out);
  else if (expr.kind === "name") out.add(expr.name);
  return out;
}

export function checkTrainingInputs(
  decl: ModelDecl,
  inputs: readonly ModelInput[],
  report: Reporter,
): void {
  const byName = new Map(inputs.map((i) => [i.name, i]));
  /** Binding → the inputs it needs when the model runs. */
  const needs = new Map<string, Set<string>>();
  const inputsOf = (expr: Expr) => {
    const out = new Set<string>();
    for (const name of inferenceReads(expr, new Set())) {
      if (byName.has(name)) out.add(name);
      for (const i of needs.get(name) ?? []) out.add(i);
    }
    return out;
  };
  const neededByOutputs = new Set<string>();
  const readAnywhere = new Set<string>();
  const trainingOnlyNeeded: { output: string; input: string; span: Span }[] = [];
  for (const stmt of decl.body) {
    if (stmt.kind === "assign") needs.set(stmt.targets[0]!.name, inputsOf(stmt.value));
    if (stmt.kind === "assign" || stmt.kind === "output" || stmt.kind === "loss")
      allReads(stmt.value, readAnywhere);
    if (stmt.kind !== "output") continue;
    const used = inputsOf(stmt.value);
    needs.set(stmt.name.name, used);
    for (const name of used) {
      neededByOutputs.add(name);
      if (byName.get(name)!.training)
        trainingOnlyNeeded.push({ output: stmt.name.name, input: name, span: stmt.name.span });
    }
  }
  for (const { output, input, span } of trainingOnlyNeeded) {
    report.error(
      "trainingInputInOutput",
      span,
      `output '${output}' needs '${input}', an input given only in training`,
      `compute outputs from the inputs a caller gives; '${input}' is for losses and a decoder's teacher:`,
    );
  }
  for (const stmt of decl.body) {
    if (stmt.kind !== "input") continue;
    for (const d of stmt.decls) {
      const name = d.name.name;
      if (d.training || neededByOutputs.has(name) || !readAnywhere.has(name)) continue;
      const shape = d.shape ? `[${d.shape.dims.map(printExpr).join(", ")}]` : "";
      report.error(
        "trainingOnlyInput",
        d.name.span,
        `input '${name}' is read only by losses or a decoder's teacher, yet every run would need it`,
        `mark it: input ${name}: ${d.dtype?.name ?? ""}${shape} for training`,
      );
    }
  }
}
