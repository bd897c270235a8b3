/** Collects a phase's diagnostics; `CODES` names keep call sites readable. */
import type { Span } from "../../dsl/ast.ts";
import { error, type Diagnostic, type Note } from "../../dsl/diagnostic.ts";
import { CODES, type CodeName } from "./codes.ts";

export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  error(
    code: CodeName,
    span: Span,
    message: string,
    help?: string,
    notes?: readonly Note[],
  ): undefined {
    this.diagnostics.push(error(CODES[code], span, message, { help, notes }));
    return undefined;
  }
}
