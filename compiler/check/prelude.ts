/**
 * The standard library: every `dsl/stdlib/*.rnn` cell is in scope in every file. Loaded and
 * checked once per process. The stdlib is part of the product, so an error in it is a bug
 * of rnnc, reported as such.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderDiagnostic } from "../../dsl/diagnostic.ts";
import { parse } from "../../dsl/parse.ts";
import { SourceFile } from "../../dsl/source.ts";
import type { CheckedCell } from "./cell.ts";
import { checkParsed } from "./program.ts";

export const STDLIB_DIR = fileURLToPath(new URL("../../dsl/stdlib/", import.meta.url));

let cached: ReadonlyMap<string, CheckedCell> | undefined;

export function stdlibFiles(): string[] {
  return readdirSync(STDLIB_DIR)
    .filter((f) => f.endsWith(".rnn"))
    .sort()
    .map((f) => `${STDLIB_DIR}${f}`);
}

export function prelude(): ReadonlyMap<string, CheckedCell> {
  if (cached) return cached;
  const cells = new Map<string, CheckedCell>();
  for (const path of stdlibFiles()) {
    const parsed = parse(new SourceFile(path, readFileSync(path, "utf8")));
    const result = checkParsed(parsed, new Map());
    if (!result.ok) {
      const text = result.diagnostics.map((d) => renderDiagnostic(d, parsed.source)).join("\n");
      throw new Error(`internal: the standard library does not check:\n${text}`);
    }
    for (const cell of result.cells) cells.set(cell.name, cell);
  }
  cached = cells;
  return cells;
}
