/**
 * Equality of syntax trees "up to spans": two trees are equal when they differ only in where
 * their nodes were written. Used by the formatter's round-trip tests (parse ∘ format keeps the
 * tree) and by anything that compares a parsed tree with a built one.
 *
 * A span key is `span` or any key ending in `Span` (`bodySpan`); those are dropped wherever
 * they occur. A key whose value is `undefined` counts as absent.
 */

/** The type of a node with its span keys removed, recursively. */
export type WithoutSpans<T> = T extends readonly (infer U)[]
  ? WithoutSpans<U>[]
  : T extends object
    ? { [K in keyof T as K extends "span" | `${string}Span` ? never : K]: WithoutSpans<T[K]> }
    : T;

function isSpanKey(key: string): boolean {
  return key === "span" || key.endsWith("Span");
}

/** A deep copy of `node` without its span keys. */
export function stripSpans<T>(node: T): WithoutSpans<T> {
  return strip(node) as WithoutSpans<T>;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (!isSpanKey(key)) out[key] = strip(child);
  }
  return out;
}

/** Whether `a` and `b` are the same tree up to spans (numbers compare with `Object.is`). */
export function astEqual(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => astEqual(item, b[i]));
  }
  const keys = (o: object): string[] =>
    Object.entries(o)
      .filter(([key, child]) => child !== undefined && !isSpanKey(key))
      .map(([key]) => key)
      .sort();
  const ka = keys(a);
  const kb = keys(b);
  if (ka.length !== kb.length || ka.some((key, i) => key !== kb[i])) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((key) => astEqual(ra[key], rb[key]));
}
