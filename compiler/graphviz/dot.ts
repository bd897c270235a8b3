/**
 * Graphviz DOT text, built from plain data: nodes and edges with attributes, clusters, and
 * every string quoted and escaped in one place. Labels are text; `left(lines)` makes a label
 * of left-justified lines (each ending in Graphviz's `\l`).
 */

/** An attribute value: text (quoted and escaped here), or DOT already escaped (`left`). */
export type DotValue = string | number | boolean | undefined | { readonly raw: string };
export type DotAttrs = Readonly<Record<string, DotValue>>;

/** A DOT string literal. */
export function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Lines as one left-justified label. */
export function left(lines: readonly string[]): { raw: string } {
  const escaped = lines.map((l) => l.replace(/\\/g, "\\\\").replace(/"/g, '\\"'));
  return { raw: `"${escaped.map((l) => `${l}\\l`).join("")}"` };
}

function value(v: Exclude<DotValue, undefined>): string {
  return typeof v === "object" ? v.raw : quote(String(v));
}

function list(a: DotAttrs): string {
  const parts = Object.entries(a)
    .filter((e): e is [string, Exclude<DotValue, undefined>] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  return parts.length > 0 ? ` [${parts.join(", ")}]` : "";
}

export class Dot {
  private readonly lines: string[] = [];
  private depth = 1;

  constructor(
    private readonly name: string,
    defaults: { graph?: DotAttrs; node?: DotAttrs; edge?: DotAttrs } = {},
  ) {
    for (const kind of ["graph", "node", "edge"] as const) {
      const a = defaults[kind];
      if (a) this.push(`${kind}${list(a)};`);
    }
  }

  node(id: string, a: DotAttrs = {}): void {
    this.push(`${quote(id)}${list(a)};`);
  }

  edge(from: string, to: string, a: DotAttrs = {}): void {
    this.push(`${quote(from)} -> ${quote(to)}${list(a)};`);
  }

  /** A cluster (drawn as a box around its nodes) filled by `body`. */
  cluster(id: string, a: DotAttrs, body: () => void): void {
    this.push(`subgraph ${quote(`cluster_${id}`)} {`);
    this.depth++;
    for (const [k, v] of Object.entries(a)) if (v !== undefined) this.push(`${k}=${value(v)};`);
    body();
    this.depth--;
    this.push("}");
  }

  text(): string {
    return `digraph ${quote(this.name)} {\n${this.lines.join("\n")}\n}\n`;
  }

  private push(line: string): void {
    this.lines.push(`${"  ".repeat(this.depth)}${line}`);
  }
}
