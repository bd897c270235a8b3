/**
 * A small builder of JavaScript source for the generated CPU kernels: lines with
 * indentation, blocks, fresh names, and number literals that read back exactly.
 */

export class Code {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text: string): void {
    this.lines.push(`${"  ".repeat(this.depth)}${text}`);
  }

  /** `head {`, the body one level deeper, `}`. */
  block(head: string, body: () => void): void {
    this.line(`${head} {`);
    this.depth++;
    body();
    this.depth--;
    this.line("}");
  }

  append(other: Code): void {
    for (const l of other.lines) this.line(l);
  }

  get empty(): boolean {
    return this.lines.length === 0;
  }

  text(): string {
    return this.lines.join("\n");
  }
}

/** A JavaScript literal equal to `v` (NaN, ±Infinity and -0 included). */
export function literal(v: number): string {
  if (Object.is(v, -0)) return "(-0)";
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  return v < 0 ? `(${v})` : String(v);
}

/** `a + b` for index expressions, folding zeros. */
export function plus(a: string, b: string): string {
  if (a === "0") return b;
  if (b === "0") return a;
  return `${a} + ${b}`;
}
