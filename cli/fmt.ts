/** `rnnc fmt [--check | --write] FILE...`: print, verify or rewrite canonical source. */
import { renderDiagnostic } from "../dsl/diagnostic.ts";
import { format } from "../dsl/format.ts";
import { SourceFile } from "../dsl/source.ts";
import type { Output } from "./check.ts";
import { readText, UsageError, writeTextAtomic } from "./io.ts";

export interface FmtOptions {
  readonly check?: boolean;
  readonly write?: boolean;
}

/** Exit code: 1 on syntax errors, or (with --check) when a file is not in canonical form. */
export function runFmt(files: readonly string[], options: FmtOptions, io: Output): number {
  if (options.check && options.write)
    throw new UsageError("--check and --write cannot be used together");
  let status = 0;
  for (const path of files) {
    const source = new SourceFile(path, readText(path));
    const result = format(source);
    if (result.text === undefined) {
      for (const d of result.diagnostics) io.err(renderDiagnostic(d, source));
      status = 1;
      continue;
    }
    if (options.check) {
      if (result.text !== source.text) {
        io.err(`${path}: not formatted (run rnnc fmt --write ${path})`);
        status = 1;
      }
    } else if (options.write) {
      if (result.text !== source.text) {
        writeTextAtomic(path, result.text);
        io.err(`formatted ${path}`);
      }
    } else io.out(result.text.replace(/\n$/, ""));
  }
  return status;
}
