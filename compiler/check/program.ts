/**
 * Checks a whole file: its cells (symbolically), then its models against the cells in
 * scope — the standard library's, shadowed by the file's own. Returns every diagnostic,
 * sorted by position; the typed results are usable only when none is an error.
 */
import type { Program, Span } from "../../dsl/ast.ts";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../../dsl/diagnostic.ts";
import type { ParseResult } from "../../dsl/parse.ts";
import { checkCell, type CheckedCell } from "./cell.ts";
import { checkModel, type CheckedModel } from "./model.ts";
import { Reporter } from "./report.ts";

export interface CheckResult {
  readonly program: Program | undefined;
  readonly cells: readonly CheckedCell[];
  readonly models: readonly CheckedModel[];
  /** The cells a model can use: the prelude's and the file's. */
  readonly scope: ReadonlyMap<string, CheckedCell>;
  readonly diagnostics: readonly Diagnostic[];
  readonly ok: boolean;
}

export function checkProgram(
  program: Program,
  prelude: ReadonlyMap<string, CheckedCell> = new Map(),
): Omit<CheckResult, "program"> {
  const report = new Reporter();
  const seen = new Map<string, Span>();
  for (const decl of program.decls) {
    const key = `${decl.kind} ${decl.name.name}`;
    const first = seen.get(key);
    if (first) {
      report.error(
        "duplicateDefinition",
        decl.name.span,
        `${decl.kind} '${decl.name.name}' is defined twice in this file`,
        "rename one of them",
        [{ message: "first defined here", span: first }],
      );
    } else seen.set(key, decl.name.span);
  }
  const cells: CheckedCell[] = [];
  const scope = new Map(prelude);
  for (const decl of program.decls) {
    if (decl.kind !== "cell") continue;
    const cell = checkCell(decl, report);
    cells.push(cell);
    scope.set(cell.name, cell);
  }
  const models = program.decls
    .filter((d) => d.kind === "model")
    .map((d) => checkModel(d, scope, report));
  const diagnostics = sortDiagnostics(report.diagnostics);
  return { cells, models, scope, diagnostics, ok: !hasErrors(diagnostics) };
}

/** Checks a parsed file; syntax errors stop before checking. */
export function checkParsed(
  parsed: ParseResult,
  prelude: ReadonlyMap<string, CheckedCell>,
): CheckResult {
  if (!parsed.program) {
    return {
      program: undefined,
      cells: [],
      models: [],
      scope: prelude,
      diagnostics: parsed.diagnostics,
      ok: false,
    };
  }
  return { program: parsed.program, ...checkProgram(parsed.program, prelude) };
}
