/** `rnnc check FILE...`: parse and check; print diagnostics; optionally list parameters. */
import { checkParsed, prelude } from "../compiler/check/index.ts";
import { hasErrors, renderDiagnostic } from "../dsl/diagnostic.ts";
import { parse } from "../dsl/parse.ts";
import { SourceFile } from "../dsl/source.ts";
import { readText, UsageError } from "./io.ts";
import { cellParams, modelParams } from "./params-table.ts";

export interface CheckOptions {
  readonly params?: boolean;
  readonly bind?: string;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

function parseBind(text: string | undefined): Map<string, number> | undefined {
  if (text === undefined) return undefined;
  const out = new Map<string, number>();
  for (const part of text.split(",").filter(Boolean)) {
    const m = /^\s*([A-Za-z_]\w*)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[2]) < 1)
      throw new UsageError(
        `--bind takes name=size pairs such as hidden=128,input=10; got '${part}'`,
      );
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Returns the exit code: 0 when every file checks, 1 when any has errors. */
export function runCheck(files: readonly string[], options: CheckOptions, io: Output): number {
  const bind = parseBind(options.bind);
  const stdlib = prelude();
  let failed = false;
  for (const path of files) {
    const source = new SourceFile(path, readText(path));
    const result = checkParsed(parse(source), stdlib);
    for (const d of result.diagnostics) io.err(renderDiagnostic(d, source));
    if (hasErrors(result.diagnostics)) {
      failed = true;
      continue;
    }
    if (options.params) {
      io.out(`${path}`);
      for (const cell of result.cells) io.out(cellParams(cell, bind).join("\n"));
      for (const model of result.models) io.out(modelParams(model).join("\n"));
    }
  }
  const count = files.length;
  if (!failed) io.err(`checked ${count} file${count === 1 ? "" : "s"}: no errors`);
  return failed ? 1 : 0;
}
