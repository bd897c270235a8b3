/**
 * Symbolic sizes. A `Dim` is a polynomial with integer coefficients over size symbols
 * (`H`, `I`) and unknowns (`?3`, the output size of a `linear` not yet inferred):
 * `4*H`, `H + I`, `2*H*I`. Polynomials in a canonical form compare by `dimKey`, so
 * `H + H` equals `2*H`. `Solver` binds unknowns by unification, solving `?1 + H = 2*H`
 * for `?1` when the unknown appears alone in one term.
 */

/** Monomial key (sorted symbol names joined by '*', '' for the constant) → coefficient. */
export type Dim = ReadonlyMap<string, number>;

function normalise(terms: Map<string, number>): Dim {
  const out = new Map<string, number>();
  for (const key of [...terms.keys()].sort()) {
    const c = terms.get(key)!;
    if (c !== 0) out.set(key, c);
  }
  return out;
}

export function constDim(n: number): Dim {
  return normalise(new Map([["", n]]));
}

export function symbolDim(name: string): Dim {
  return new Map([[name, 1]]);
}

export function addDims(a: Dim, b: Dim, sign = 1): Dim {
  const out = new Map(a);
  for (const [k, c] of b) out.set(k, (out.get(k) ?? 0) + sign * c);
  return normalise(out);
}

export function scaleDim(a: Dim, factor: number): Dim {
  return normalise(new Map([...a].map(([k, c]) => [k, c * factor])));
}

function mulKeys(a: string, b: string): string {
  return [...a.split("*"), ...b.split("*")]
    .filter((s) => s !== "")
    .sort()
    .join("*");
}

export function mulDims(a: Dim, b: Dim): Dim {
  const out = new Map<string, number>();
  for (const [ka, ca] of a) {
    for (const [kb, cb] of b) {
      const k = mulKeys(ka, kb);
      out.set(k, (out.get(k) ?? 0) + ca * cb);
    }
  }
  return normalise(out);
}

/** Exact division by an integer, or undefined when a coefficient is not divisible. */
export function divDim(a: Dim, n: number): Dim | undefined {
  if (n === 0) return undefined;
  for (const c of a.values()) if (c % n !== 0) return undefined;
  return normalise(new Map([...a].map(([k, c]) => [k, c / n])));
}

export function constValue(a: Dim): number | undefined {
  if (a.size === 0) return 0;
  if (a.size === 1 && a.has("")) return a.get("");
  return undefined;
}

export function dimKey(a: Dim): string {
  return [...a].map(([k, c]) => `${c}:${k}`).join("+");
}

export function dimsEqual(a: Dim, b: Dim): boolean {
  return dimKey(a) === dimKey(b);
}

export function isUnknown(symbol: string): boolean {
  return symbol.startsWith("?");
}

function symbolsOf(a: Dim): Set<string> {
  const out = new Set<string>();
  for (const k of a.keys()) for (const s of k.split("*")) if (s) out.add(s);
  return out;
}

export function hasUnknowns(a: Dim): boolean {
  return [...symbolsOf(a)].some(isUnknown);
}

/** Replaces symbols by polynomials (unknowns by their solutions, sizes by numbers). */
export function substitute(a: Dim, bindings: (symbol: string) => Dim | undefined): Dim {
  let out: Dim = new Map();
  for (const [k, c] of a) {
    let term: Dim = constDim(c);
    for (const s of k.split("*")) {
      if (!s) continue;
      term = mulDims(term, bindings(s) ?? symbolDim(s));
    }
    out = addDims(out, term);
  }
  return out;
}

/** `4*H + 2`, `H*I`, `?` for an unknown (after the known sizes: `H + ?`). */
export function formatDim(a: Dim): string {
  if (a.size === 0) return "0";
  const parts: string[] = [];
  const rank = (k: string) => (k === "" ? 2 : isUnknown(k) ? 1 : 0);
  for (const [k, c] of [...a].sort(([x], [y]) => rank(x) - rank(y) || x.localeCompare(y))) {
    const syms = k
      ? k
          .split("*")
          .map((s) => (isUnknown(s) ? "?" : s))
          .join("*")
      : "";
    const mag = Math.abs(c);
    const body = syms === "" ? String(mag) : mag === 1 ? syms : `${mag}*${syms}`;
    parts.push(parts.length === 0 ? (c < 0 ? `-${body}` : body) : `${c < 0 ? "-" : "+"} ${body}`);
  }
  return parts.join(" ");
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map(formatDim).join(", ")}]`;
}

let unknownCounter = 0;

/** Unknown sizes and their solutions for one cell or model. */
export class Solver {
  private readonly solutions = new Map<string, Dim>();

  fresh(): Dim {
    unknownCounter += 1;
    return symbolDim(`?${unknownCounter}`);
  }

  resolve(a: Dim): Dim {
    return substitute(a, (s) => {
      const bound = this.solutions.get(s);
      return bound ? this.resolve(bound) : undefined;
    });
  }

  /** Makes `a` equal `b` by binding one unknown; false when they cannot be equal. */
  unify(a: Dim, b: Dim): boolean {
    const diff = addDims(this.resolve(a), this.resolve(b), -1);
    if (diff.size === 0) return true;
    for (const [key, coefficient] of diff) {
      if (!isUnknown(key) || key.includes("*")) continue;
      const rest = new Map(diff);
      rest.delete(key);
      if ([...rest.keys()].some((k) => k.split("*").includes(key))) continue;
      const solution = divDim(scaleDim(rest, -1), coefficient);
      // Sizes are at least 1: `H + ?1 = H` has no solution, rather than ?1 = 0.
      if (!solution || [...solution.values()].every((c) => c <= 0)) continue;
      this.solutions.set(key, solution);
      return true;
    }
    return false;
  }
}
