/**
 * Diagnostics: what every phase reports instead of throwing.
 *
 * A diagnostic has a stable code (RNN1xxx syntax, RNN2xxx names and shapes, RNN3xxx lowering,
 * RNN4xxx runtime and bundles), a message, the span it is about, an optional `help` line that
 * says what to do, and notes that point at related places. `renderDiagnostic` prints
 *
 *   file.rnn:3:22: error RNN2001: unknown name 'hiden'
 *      3 |   i = sigmoid(linear(hiden))
 *        |                      ^^^^^
 *     help: did you mean 'hidden'?
 */
import type { Span } from "./ast.ts";
import type { SourceFile } from "./source.ts";

export type Severity = "error" | "warning";

export interface Note {
  readonly message: string;
  readonly span: Span | undefined;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly help?: string | undefined;
  readonly notes?: readonly Note[] | undefined;
  /** The file the span points into; the file being checked when absent. */
  readonly source?: SourceFile | undefined;
}

export function error(
  code: string,
  span: Span,
  message: string,
  extra: { help?: string | undefined; notes?: readonly Note[] | undefined } = {},
): Diagnostic {
  return { code, severity: "error", message, span, help: extra.help, notes: extra.notes };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Orders diagnostics by file position, then code, so output is stable. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.source?.path ?? "").localeCompare(b.source?.path ?? "") ||
      a.span.start - b.span.start ||
      a.code.localeCompare(b.code),
  );
}

function excerpt(source: SourceFile, span: Span): string[] {
  const start = source.position(span.start);
  const end = source.position(Math.max(span.start, span.end - 1));
  const text = source.lineText(start.line);
  const gutter = String(start.line).length;
  const width =
    end.line === start.line
      ? Math.max(1, end.column - start.column + 1)
      : Math.max(1, text.length - start.column + 1);
  const pad = " ".repeat(gutter);
  const caretLead = text.slice(0, start.column - 1).replace(/[^\t]/g, " ");
  return [`  ${start.line} | ${text}`, `  ${pad} | ${caretLead}${"^".repeat(width)}`];
}

function where(source: SourceFile, span: Span): string {
  const { line, column } = source.position(span.start);
  return `${source.path}:${line}:${column}`;
}

/** Prints one diagnostic: position, code and message, the source line with a caret, help, notes. */
export function renderDiagnostic(diagnostic: Diagnostic, fallback: SourceFile): string {
  const source = diagnostic.source ?? fallback;
  const lines = [
    `${where(source, diagnostic.span)}: ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`,
    ...excerpt(source, diagnostic.span),
  ];
  if (diagnostic.help) lines.push(`  help: ${diagnostic.help}`);
  for (const note of diagnostic.notes ?? []) {
    if (note.span) {
      lines.push(`  note: ${where(source, note.span)}: ${note.message}`);
      lines.push(...excerpt(source, note.span).map((l) => `  ${l}`));
    } else {
      lines.push(`  note: ${note.message}`);
    }
  }
  return lines.join("\n");
}
