/** Loading one model from a `.rnn` file for the commands that run or initialise it. */
import { checkParsed, prelude, type CheckedModel } from "../compiler/check/index.ts";
import { renderDiagnostic } from "../dsl/diagnostic.ts";
import { parse } from "../dsl/parse.ts";
import { SourceFile } from "../dsl/source.ts";
import type { Output } from "./check.ts";
import { readText, UsageError } from "./io.ts";

/**
 * Checks `path` and returns its model `name` (or its only model). Prints diagnostics and
 * returns undefined when the file has errors; throws UsageError when the model is ambiguous.
 */
export function loadModel(
  path: string,
  name: string | undefined,
  io: Output,
): CheckedModel | undefined {
  const source = new SourceFile(path, readText(path));
  const checked = checkParsed(parse(source), prelude());
  for (const d of checked.diagnostics) io.err(renderDiagnostic(d, source));
  if (!checked.ok) return undefined;
  const models = checked.models;
  const names = models.map((m) => m.name).join(", ") || "none";
  if (name) {
    const found = models.find((m) => m.name === name);
    if (!found) throw new UsageError(`${path} has no model '${name}' (it has ${names})`);
    return found;
  }
  if (models.length !== 1)
    throw new UsageError(`${path} has ${models.length} models; choose one with --model (${names})`);
  return models[0]!;
}
