/**
 * Deterministic JSON text for bundle files: object keys sorted at every depth (so equal data
 * gives equal bytes), containers above `expand` depth one entry per line and the rest on one
 * line each, which keeps big plans and graphs readable and their diffs small.
 */
type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

function sorted(value: unknown): Json {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort()
        .map((k) => [k, sorted(obj[k])]),
    );
  }
  return value as Json;
}

function render(value: Json, depth: number, expand: number, indent: string): string {
  if (typeof value !== "object" || value === null || depth >= expand) return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((v) => inner + render(v, depth + 1, expand, inner));
    return `[\n${items.join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const items = entries.map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${render(v, depth + 1, expand, inner)}`,
  );
  return `{\n${items.join(",\n")}\n${indent}}`;
}

/** `value` as JSON text with sorted keys, expanded to depth `expand`, ending in a newline. */
export function stableJson(value: unknown, expand = Infinity): string {
  return `${render(sorted(value), 0, expand, "")}\n`;
}
