/**
 * Statements run in order. A name used before the statement that defines it is an error;
 * when that later definition itself needs the current statement, it is a cycle within one
 * step (`h' = o * tanh(c')` before `c' = f * c + h' ...`), reported with its path.
 */
import type { Expr, Span } from "../../dsl/ast.ts";
import type { Reporter } from "./report.ts";

/** `h` for a name, `h'` for a next-state. */
export function refKey(name: string, primed: boolean): string {
  return primed ? `${name}'` : name;
}

/** Every name an expression reads. */
export function referencedKeys(expr: Expr, out: Set<string> = new Set()): Set<string> {
  switch (expr.kind) {
    case "name":
      out.add(refKey(expr.name, expr.primed));
      break;
    case "call":
      for (const arg of expr.args) referencedKeys(arg.value, out);
      break;
    case "binary":
      referencedKeys(expr.left, out);
      referencedKeys(expr.right, out);
      break;
    case "unary":
      referencedKeys(expr.operand, out);
      break;
    case "field":
      referencedKeys(expr.object, out);
      break;
    default:
      break;
  }
  return out;
}

export interface OrderedStatement {
  readonly defines: readonly string[];
  readonly reads: ReadonlySet<string>;
  readonly span: Span;
}

export class DefinitionOrder {
  private readonly definedAt = new Map<string, number>();

  constructor(private readonly statements: readonly OrderedStatement[]) {
    statements.forEach((s, i) => {
      for (const key of s.defines) if (!this.definedAt.has(key)) this.definedAt.set(key, i);
    });
  }

  /** Whether some statement defines `key`. */
  isDefined(key: string): boolean {
    return this.definedAt.has(key);
  }

  /**
   * Checks a read of `key` in statement `at`; reports and returns false when it is read
   * before (or in) the statement that defines it.
   */
  checkRead(key: string, at: number, span: Span, report: Reporter): boolean {
    const def = this.definedAt.get(key);
    if (def === undefined || def < at) return true;
    const defining = this.statements[def]!;
    if (def === at) {
      report.error(
        "usedBeforeDefined",
        span,
        `'${key}' is used in its own definition`,
        "a value of this step cannot depend on itself; read the previous state instead",
      );
      return false;
    }
    const path = this.pathBack(def, at);
    if (path) {
      const current = this.statements[at]!.defines[0] ?? "?";
      const names = [current, ...path.map((i) => this.statements[i]!.defines[0] ?? "?"), current];
      report.error(
        "cycle",
        span,
        `cycle within one step: ${names.join(" -> ")}`,
        "break the cycle: one of these must read the previous state (without ') instead",
        [{ message: `'${key}' is defined here`, span: defining.span }],
      );
    } else {
      report.error(
        "usedBeforeDefined",
        span,
        `'${key}' is used before it is defined`,
        `move the definition of '${key}' above this line; statements run in order`,
        [{ message: `'${key}' is defined here`, span: defining.span }],
      );
    }
    return false;
  }

  /** Statements from `from` that lead back to statement `to` through reads, or undefined. */
  private pathBack(from: number, to: number): number[] | undefined {
    const parent = new Map<number, number>();
    const queue = [from];
    const seen = new Set([from]);
    while (queue.length > 0) {
      const i = queue.shift()!;
      for (const key of this.statements[i]!.reads) {
        const j = this.definedAt.get(key);
        if (j === undefined) continue;
        if (j === to) {
          const path = [i];
          for (let k = i; parent.has(k);) {
            k = parent.get(k)!;
            path.unshift(k);
          }
          return path;
        }
        if (j > to && !seen.has(j)) {
          seen.add(j);
          parent.set(j, i);
          queue.push(j);
        }
      }
    }
    return undefined;
  }
}
