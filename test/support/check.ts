/** Test helpers: check a `.rnn` text with the standard library in scope. */
import { checkParsed, prelude, type CheckResult } from "../../compiler/check/index.ts";
import { renderDiagnostic } from "../../dsl/diagnostic.ts";
import { parse } from "../../dsl/parse.ts";
import { SourceFile } from "../../dsl/source.ts";

export function checkText(text: string, path = "test.rnn"): CheckResult & { rendered: string } {
  const source = new SourceFile(path, text);
  const result = checkParsed(parse(source), prelude());
  return {
    ...result,
    rendered: result.diagnostics.map((d) => renderDiagnostic(d, source)).join("\n"),
  };
}

/** Checks and requires success; returns the result. */
export function checkOk(text: string): CheckResult {
  const result = checkText(text);
  if (!result.ok) throw new Error(`expected no errors, got:\n${result.rendered}`);
  return result;
}

export function totalParams(params: readonly { shape: readonly number[] }[]): number {
  return params.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
}
