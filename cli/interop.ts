/** What `rnnc import-torch` and `rnnc export-torch` share: --map, and printing their errors. */
import type { InteropError } from "../compiler/interop/errors.ts";
import { renderDiagnostic } from "../dsl/diagnostic.ts";
import { SourceFile } from "../dsl/source.ts";
import { readText, UsageError } from "./io.ts";

/**
 * `--map rnn=enc,fc=logit` → torch module name → rnnc binding. `=enc` names the root module
 * (a bare nn.LSTM's own state_dict).
 */
export function parseMap(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (text ?? "").split(",").filter((p) => p.trim() !== "")) {
    const m = /^\s*([\w.]*)\s*=\s*([\w.]+)\s*$/.exec(part);
    if (!m)
      throw new UsageError(
        `--map takes TORCH=RNNC pairs of module names, e.g. rnn=enc,fc=logit; got '${part}'`,
      );
    if (out.has(m[1]!)) throw new UsageError(`--map names torch module '${m[1]}' twice`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

/**
 * One block per problem: those about a place in the spec as positioned diagnostics with the
 * source line, the others under `file` (the state_dict or the bundle).
 */
export function renderInteropError(e: InteropError, spec: string, file: string): string[] {
  const source = new SourceFile(spec, readText(spec));
  return e.problems.map((p) => {
    const head = p.span
      ? renderDiagnostic(
          { code: e.code, severity: "error", message: p.message, span: p.span },
          source,
        )
      : `${file}: error ${e.code}: ${p.message}`;
    return [
      head,
      ...(p.details ?? []).map((d) => `    ${d}`),
      ...(p.help ? [`  help: ${p.help}`] : []),
    ].join("\n");
  });
}
